namespace StaticFlow.Kernels;

/// <summary>
/// The vectors the CPU kernels run with in this process, chosen when it starts from what the CPU offers (and, in a
/// NativeAOT binary, from the instruction set it was compiled for: see <c>IlcInstructionSet</c> in docs/runtime.md).
/// </summary>
public static class KernelVectors
{
    /// <summary>
    /// The width in bits of the GEMM's and convolutions' vectors: 512 (AVX-512), 256 (AVX2 with FMA), 128 (ARM64
    /// AdvSimd, or x64 without AVX2), or 0 when hardware intrinsics are switched off and the kernels run scalar loops.
    /// </summary>
    public static int Bits => Sgemm.VectorBits;
}
