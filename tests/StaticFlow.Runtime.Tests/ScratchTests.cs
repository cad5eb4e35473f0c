using StaticFlow.Formats.Bundles;
using Xunit.Abstractions;

namespace StaticFlow.Tests;

public class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public void Dump()
    {
        foreach (string model in TestData.AllModels)
        {
            string dir = TestData.CopyModel(model);
            using var reader = TensorBundleReader.Open(Path.Combine(dir, "variables", "variables"));
            output.WriteLine($"== {model} {reader.Header}");
            foreach (var info in reader.List())
            {
                var e = reader.GetEntry(info.Name);
                var t = reader.Read(info.Name);
                output.WriteLine($"{info.Name} {info.DTypeName} {info.Shape} {e} {(t.DType == Tensors.DType.String ? t.Strings[0].Length : t.GetDouble(0))}");
            }
        }
    }
}
