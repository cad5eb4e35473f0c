using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StaticFlow.Tests;

// Usage: StaticFlow.VectorPaths DIR
// Prints the vector widths this process runs ("Vector512=False Vector256=True Vector128=True KernelBits=256"), then runs every
// kernel case and writes its float32 output to DIR/<case>.bin for the test to compare.
string directory = args[0];
Console.WriteLine($"Vector512={Vector512.IsHardwareAccelerated} Vector256={Vector256.IsHardwareAccelerated} Vector128={Vector128.IsHardwareAccelerated} KernelBits={StaticFlow.Kernels.KernelVectors.Bits}");
foreach (var kernelCase in KernelCases.All())
    File.WriteAllBytes(Path.Combine(directory, kernelCase.Name + ".bin"), MemoryMarshal.AsBytes(kernelCase.Run().AsSpan()).ToArray());
