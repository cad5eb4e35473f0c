using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.NativeAot;

// --aot adds a NativeAOT job beside each benchmark's own (JIT) job. Its ILCompiler comes from nuget.org at the
// runtime's version: BenchmarkDotNet's default is a preview from a feed this machine cannot reach. The binary is
// compiled for this host's instruction sets (BenchmarkDotNet passes them to the compiler), as a deployment built
// on the machine it runs on (IlcInstructionSet=native) would be.
// --profile-training <Mlp|SmallCnn> prints a train step's slowest graph steps instead of benchmarking.
if (args is ["--profile-training", var model])
{
    StaticFlow.Benchmarks.TrainingBenchmarks.PrintProfile(model, Console.Out);
    return;
}
IConfig config = DefaultConfig.Instance;
if (args.Contains("--aot"))
{
    args = [.. args.Where(a => a != "--aot")];
    var toolchain = NativeAotToolchain.CreateBuilder()
        .UseNuGet(Environment.Version.ToString(3), "https://api.nuget.org/v3/index.json")
        .ToToolchain();
    config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(toolchain).WithId("NativeAOT")
        .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
