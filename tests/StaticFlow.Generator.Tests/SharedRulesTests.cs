using StaticFlow.Devices;
using StaticFlow.Generator.Emit;
using StaticFlow.Generator.Lowering;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// The few rules the generator (netstandard2.0, no runtime reference) keeps in its own code must say what the
/// runtime says; the op catalogue and shape rules are shared source files and need no such check.
/// </summary>
public class SharedRulesTests
{
    [Theory]
    [InlineData("/GPU:0")]
    [InlineData("/gpu:1")]
    [InlineData("/device:CPU:0")]
    [InlineData("/cpu:*")]
    [InlineData("/job:localhost/replica:0/task:0/device:GPU:0")]
    [InlineData("/job:worker/task:3/device:CPU:1")]
    [InlineData("GPU0")]
    [InlineData("/GPU:zero")]
    [InlineData("/device:GPU")]
    [InlineData("/replica:x")]
    [InlineData("/job:a/GPU:0/CPU:1")]
    [InlineData("/device:XLA_CPU:0")]
    [InlineData("/task:01/device:gpu:007")]
    [InlineData("")]
    public void DeviceStringsAreValidForBothOrNeither(string text)
    {
        string? canonical = DeviceNames.Canonicalize(text, out _);
        bool runtimeAccepts = DeviceSpec.TryParse(text, out var spec);
        Assert.Equal(runtimeAccepts, canonical is not null);
        if (canonical is not null) Assert.Equal(spec.ToString(), canonical);
    }

    [Fact]
    public void GeneratedGraphsCarryTheRuntimesProducerVersion() => Assert.Equal(GraphVersions.Producer, GraphDefEncoder.Producer);
}
