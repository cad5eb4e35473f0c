using SharpFuzz;
using StaticFlow.Fuzz;

// StaticFlow.Fuzz TARGET                      run under afl-fuzz (SharpFuzz's out-of-process protocol)
// StaticFlow.Fuzz TARGET FILE...              run the files once each, as a regression check (exit 1 on a finding)
// StaticFlow.Fuzz --seeds TESTDATA OUT        write each target's seed corpus to OUT/TARGET/
if (args is ["--seeds", var testdata, var corpus])
{
    foreach (var (name, seeds) in SeedCorpus.Make(testdata))
    {
        Directory.CreateDirectory(Path.Combine(corpus, name));
        foreach (var (seed, bytes) in seeds) File.WriteAllBytes(Path.Combine(corpus, name, seed), bytes);
    }
    return 0;
}
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: StaticFlow.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}
string target = args[0];
if (args.Length > 1)
{
    int findings = 0;
    foreach (string file in args[1..])
    {
        try { FuzzTargets.Run(target, File.ReadAllBytes(file)); }
        catch (Exception e)
        {
            findings++;
            Console.Error.WriteLine($"{file}: {e}");
        }
    }
    return findings == 0 ? 0 : 1;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    FuzzTargets.Run(target, buffer.ToArray());
});
return 0;
