namespace StaticFlow.Tests;

/// <summary>
/// The real TensorFlow-made models in the shared test data (../shared/testdata beside the repository), copied
/// into a fresh temporary folder per use so nothing ever writes into the shared copy.
/// </summary>
internal static class TestData
{
    public const string HalfPlusTwoTf1 = "saved_model_half_plus_two_cpu";
    public const string HalfPlusTwoTf2 = "saved_model_half_plus_two_tf2_cpu";
    public const string HalfPlusThree = "saved_model_half_plus_three";

    public static readonly string[] AllModels = [HalfPlusTwoTf1, HalfPlusTwoTf2, HalfPlusThree];

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string SharedRoot =>
        Environment.GetEnvironmentVariable("STATICFLOW_TESTDATA") is { Length: > 0 } overridden
            ? overridden
            : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "testdata"));

    /// <summary>A private copy of a model's version folder (<c>.../00000123</c>).</summary>
    public static string CopyModel(string model)
    {
        string source = Path.Combine(SharedRoot, "tf-serving", model, "00000123");
        if (!Directory.Exists(source))
            throw new DirectoryNotFoundException($"Shared test data not found at {source}; set STATICFLOW_TESTDATA to the testdata folder.");
        string destination = Path.Combine(TempDirectory.Create(), model, "00000123");
        CopyDirectory(source, destination);
        return destination;
    }

    public static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.GetFiles(source))
        {
            string target = Path.Combine(destination, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal);
        }
        foreach (string dir in Directory.GetDirectories(source))
            CopyDirectory(dir, Path.Combine(destination, Path.GetFileName(dir)));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generator.sln"))) return dir.FullName;
        throw new InvalidOperationException("Generator.sln not found above the test binaries.");
    }
}

/// <summary>Temporary folders under one root per test run, deleted when the test process exits.</summary>
internal static class TempDirectory
{
    private static readonly string Root = CreateRoot();

    public static string Create()
    {
        string path = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static string CreateRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "staticflow-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        };
        return root;
    }
}
