using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Cli;
using StaticFlow.Formats.Bundles;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>Every way the CLI was made to die with a stack trace ends in one line and a documented exit code.</summary>
public class CliRobustnessTests
{
    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    // One line on stderr, starting "error:", and the expected code.
    private static string AssertFails(int expected, params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.True(code == expected, $"exit {code}, expected {expected}: {error}");
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        return error;
    }

    private static string Npy(string header, int dataBytes = 0, int major = 1)
    {
        string path = Path.Combine(TempDirectory.Create(), "x.npy");
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        byte[] text = System.Text.Encoding.Latin1.GetBytes(header + "\n");
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)text.Length) : BitConverter.GetBytes((uint)text.Length));
        bytes.AddRange(text);
        bytes.AddRange(new byte[dataBytes]);
        File.WriteAllBytes(path, [.. bytes]);
        return path;
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 1), }", 12, "non-negative integer")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1), }", 12, "fits 64 bits")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 12, "does not match")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1), }", 8, "does not match")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1}", 12, "expected")]
    [InlineData("{'descr': '<f4', 'shape': (3, 1), }", 12, "fortran_order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1), 'shape': (3,)}", 12, "twice")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3, 1), }", 12, "True, False")]
    [InlineData("{'descr': 7, 'fortran_order': False, 'shape': (3, 1), }", 12, "offset")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 1), }", 12, "big-endian")]
    [InlineData("{'descr': '<U7', 'fortran_order': False, 'shape': (3, 1), }", 12, "unsupported")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1), 'extra': 'x'}", 12, "exactly")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", 24, "Fortran")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1), } trailing", 12, "after the dict")]
    public void MalformedNpyHeadersAreBadInputNamingTheFile(string header, int dataBytes, string reason)
    {
        string npy = Npy(header, dataBytes);
        string error = AssertFails(ExitCodes.BadInput, "run", TestData.CopyModel(TestData.HalfPlusTwoTf1), "--input", $"x={npy}");
        Assert.Contains(npy, error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void NpyFilesCutShortOrAnnouncingHugeHeadersAreBadInput()
    {
        string model = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        string path = Path.Combine(TempDirectory.Create(), "short.npy");
        File.WriteAllBytes(path, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F]);
        Assert.Contains("over the limit", AssertFails(ExitCodes.BadInput, "run", model, "--input", $"x={path}"));
        File.WriteAllBytes(path, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 100, 0, (byte)'{']);
        Assert.Contains("truncated", AssertFails(ExitCodes.BadInput, "run", model, "--input", $"x={path}"));
        File.WriteAllBytes(path, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 9, 0, 0, 0]);
        Assert.Contains("version 9", AssertFails(ExitCodes.BadInput, "run", model, "--input", $"x={path}"));
        File.WriteAllBytes(path, "not numpy at all"u8.ToArray());
        Assert.Contains("bad magic", AssertFails(ExitCodes.BadInput, "run", model, "--input", $"x={path}"));
    }

    [Fact]
    public void ValidNpyFilesOfVersionTwoAndEmptyShapesStillRead()
    {
        string model = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        var (code, output, error) = Run("run", model, "--input", $"x={Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1), }", 0, major: 2)}");
        Assert.True(code == 0, error);
        Assert.Contains("\"shape\": [", output);
    }

    [Fact]
    public void AStringInputGivenNumbersIsBadInput()
    {
        string error = AssertFails(ExitCodes.BadInput, "run", TestData.CopyModel(TestData.HalfPlusTwoTf1), "--signature_def", "regress_x_to_y", "--input", "inputs=[1, 2]");
        Assert.Contains("not a JSON string", error);
    }

    [Fact]
    public void UsageErrorsHaveTheirOwnExitCode()
    {
        string model = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        Assert.Equal(ExitCodes.Usage, Run("run", model, "--no_such_option").Code);
        Assert.Equal(ExitCodes.Usage, Run("frobnicate").Code);
        AssertFails(ExitCodes.Usage, "run", model, "--signature_def", "nope");
        AssertFails(ExitCodes.Usage, "run", model, "--input", "q=[1]");
        Assert.Contains("--memory_limit", AssertFails(ExitCodes.Usage, "run", model, "--input", "x=[[1]]", "--memory_limit", "lots"));
        Assert.Contains("--timeout", AssertFails(ExitCodes.Usage, "run", model, "--input", "x=[[1]]", "--timeout", "-1"));
        AssertFails(ExitCodes.Usage, "inspect", model, "--tensor", "nope");
    }

    [Fact]
    public void MissingAndCorruptFilesAreBadInput()
    {
        AssertFails(ExitCodes.BadInput, "inspect", Path.Combine(TempDirectory.Create(), "missing"));
        AssertFails(ExitCodes.BadInput, "run", Path.Combine(TempDirectory.Create(), "missing"));
        string model = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        File.WriteAllBytes(Path.Combine(model, "saved_model.pb"), [0xFF, 0xFF, 0xFF]);
        AssertFails(ExitCodes.BadInput, "show", model, "--all");
        AssertFails(ExitCodes.BadInput, "run", model, "--input", "x=[[1]]");
    }

    private static GraphDef EndlessLoop()
    {
        var signature = (string name, DataType output) => new OpDef
        {
            Name = name,
            InputArg = { new OpDef.Types.ArgDef { Name = "a0", Type = DataType.DtFloat } },
            OutputArg = { new OpDef.Types.ArgDef { Name = "out", Type = output } },
        };
        var graph = G.Graph([.. HostileModels.Basics().Where(n => n.Name != "y"),
            Node("y", "While", ["x"], ("T", Types(DType.Float32)), ("cond", Func("always")), ("body", Func("same")))]);
        graph.Library = new FunctionDefLibrary
        {
            Function =
            {
                new FunctionDef { Signature = signature("always", DataType.DtBool), NodeDef = { Const("yes", Tensor.Scalar(true)) }, Ret = { ["out"] = "yes:output:0" } },
                new FunctionDef { Signature = signature("same", DataType.DtFloat), NodeDef = { Node("id", "Identity", ["a0"], ("T", Type(DType.Float32))) }, Ret = { ["out"] = "id:output:0" } },
            },
        };
        return graph;
    }

    [Fact]
    public void ARunPastItsTimeoutStopsWithTheTimeoutCode()
    {
        string model = HostileModels.Write(EndlessLoop());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string error = AssertFails(ExitCodes.Timeout, "run", model, "--input", "x=1", "--timeout", "0.5");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Contains("0.5 s", error);
    }

    [Fact]
    public void AnInitOpPastTheTimeoutStopsToo()
    {
        var graph = EndlessLoop();
        graph.Node.Add(Const("one", Tensor.Scalar(1f)));
        graph.Node.Add(Node("init", "While", ["one"], ("T", Types(DType.Float32)), ("cond", Func("always")), ("body", Func("same"))));
        AssertFails(ExitCodes.Timeout, "run", HostileModels.Write(graph, mainOp: "init"), "--input", "x=1", "--timeout", "0.5");
    }

    [Fact]
    public void OutOfLimitsHasItsOwnExitCode()
    {
        var fill = G.Graph([.. HostileModels.Basics().Where(n => n.Name != "y"), Const("dims", Tensor.Vector([20_000L, 20_000L])),
            Node("y", "Fill", ["dims", "x"], ("T", Type(DType.Float32)), ("index_type", Type(DType.Int64)))]);
        string error = AssertFails(ExitCodes.LimitExceeded, "run", HostileModels.Write(fill), "--input", "x=1", "--memory_limit", "64M");
        Assert.Contains("node 'y' (op Fill)", error);

        var recursive = G.Graph([.. HostileModels.Basics().Where(n => n.Name != "y"),
            Node("y", "PartitionedCall", ["x"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("again")))]);
        recursive.Library = new FunctionDefLibrary
        {
            Function =
            {
                new FunctionDef
                {
                    Signature = new OpDef { Name = "again", InputArg = { new OpDef.Types.ArgDef { Name = "a0", Type = DataType.DtFloat } }, OutputArg = { new OpDef.Types.ArgDef { Name = "out", Type = DataType.DtFloat } } },
                    NodeDef = { Node("call", "PartitionedCall", ["a0"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("again"))) },
                    Ret = { ["out"] = "call:output:0" },
                },
            },
        };
        Assert.Contains("MaxCallDepth", AssertFails(ExitCodes.LimitExceeded, "run", HostileModels.Write(recursive), "--input", "x=1"));
    }

    [Fact]
    public void TheCliConfinesModelsUnlessToldOtherwise()
    {
        string outside = Path.Combine(TempDirectory.Create(), "outside");
        string model = HostileModels.Write(G.Graph(
            [.. HostileModels.Basics(harmlessRestore: false), Const("secret", Tensor.Scalar(42f)), .. HostileModels.SaveTo("restore", Path.Combine(outside, "stolen"), "secret")]));
        Assert.Contains("refused", AssertFails(ExitCodes.ModelError, "run", model, "--input", "x=1"));
        Assert.False(Directory.Exists(outside) && Directory.EnumerateFileSystemEntries(outside).Any());
        Assert.Equal(0, Run("run", model, "--input", "x=1", "--writable", outside).Code);
        Assert.True(File.Exists(Path.Combine(outside, "stolen.index")));
    }

    [Fact]
    public void ACheckpointTensorOfRankOverTheLimitIsBadInputInJson()
    {
        string prefix = LimitTests.WriteBundleOfRank(1500);
        Assert.Contains("rank 1500", AssertFails(ExitCodes.BadInput, "inspect", prefix, "--all", "--json"));
    }

    [Fact]
    public void AnObjectGraphNamingAMissingKeyIsBadInput()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "ckpt");
        var graph = new TrackableObjectGraph();
        graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject
        {
            Children = { new TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference { NodeId = 1, LocalName = "w" } },
        });
        graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject
        {
            Attributes = { new TrackableObjectGraph.Types.TrackableObject.Types.SerializedTensor { Name = "VARIABLE_VALUE", CheckpointKey = "w/.ATTRIBUTES/VARIABLE_VALUE", FullName = "w" } },
        });
        using (var writer = new TensorBundleWriter(prefix))
        {
            writer.Add(ObjectGraph.ObjectGraphKey, Tensor.FromStrings([graph.ToByteArray()]));
            writer.Finish();
        }
        foreach (var args in new[] { new[] { "inspect", prefix }, ["inspect", prefix, "--all"], ["inspect", prefix, "--tensor", "w"], ["inspect", prefix, "--all", "--json"] })
        {
            var (code, _, error) = Run(args);
            Assert.True(code is ExitCodes.BadInput or ExitCodes.Success, $"{string.Join(' ', args)}: exit {code}: {error}");
            if (args.Contains("--tensor")) Assert.Contains("'w/.ATTRIBUTES/VARIABLE_VALUE', which the bundle does not hold", error);
        }
    }

    [Fact]
    public void FunctionLibrariesWithDuplicateOrNamelessFunctionsAreBadInputInView()
    {
        var function = new FunctionDef
        {
            Signature = new OpDef { Name = "f", InputArg = { new OpDef.Types.ArgDef { Name = "a", Type = DataType.DtFloat } }, OutputArg = { new OpDef.Types.ArgDef { Name = "b", Type = DataType.DtFloat } } },
            Ret = { ["b"] = "a" },
        };
        foreach (var library in new[] { new[] { function, function.Clone() }, [new FunctionDef()], [new FunctionDef { Signature = new OpDef() }] })
        {
            var graph = G.Graph(Placeholder("x", DType.Float32));
            graph.Library = new FunctionDefLibrary { Function = { library } };
            // Text format: a tiny binary GraphDef is indistinguishable from other protos.
            string path = Path.Combine(TempDirectory.Create(), "graph.pbtxt");
            File.WriteAllText(path, Formats.Text.TextFormat.Print(graph));
            var (code, _, error) = Run("view", path, "--output", Path.Combine(TempDirectory.Create(), "page.html"));
            Assert.True(code == ExitCodes.BadInput, $"exit {code}: {error}");
            Assert.Contains(library.Length == 2 ? "defines 'f' twice" : "no signature name", error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
    }

    [Fact]
    public void AnUnexpectedExceptionIsAnInternalErrorAskingForAReport()
    {
        var (code, line) = CommandLineApp.Describe(new InvalidOperationException("boom"));
        Assert.Equal(ExitCodes.InternalError, code);
        Assert.Contains("boom", line);
        Assert.Contains("report", line);
        Assert.Equal(ExitCodes.LimitExceeded, CommandLineApp.Describe(new OutOfMemoryException()).Code);
    }

    [Fact]
    public void LargeJsonAnswersStreamOutWhileTheyAreWritten()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "big");
        Checkpoint.Save(prefix, new Dictionary<string, Tensor> { ["m"] = Tensor.FromArray<int>(Enumerable.Range(0, 200_000).ToArray(), 200_000) }, CheckpointKeyStyle.NameBased);
        var output = new CountingWriter();
        Assert.Equal(0, CommandLineApp.Run(["inspect", prefix, "--tensor", "m", "--json"], output, TextWriter.Null));
        // The answer is over a megabyte; it reached the output in many writes, never as one string.
        Assert.True(output.Characters > 1_000_000, $"{output.Characters} characters");
        Assert.True(output.LargestWrite < 1 << 18, $"largest single write {output.LargestWrite} characters");
        Assert.True(output.Writes > 10);

        var text = new CountingWriter();
        Assert.Equal(0, CommandLineApp.Run(["inspect", prefix, "--tensor", "m"], text, TextWriter.Null));
        Assert.True(text.Characters > 1_000_000, $"{text.Characters} characters");
        Assert.True(text.LargestWrite < 1 << 10, $"largest single write {text.LargestWrite} characters");
    }

    private sealed class CountingWriter : TextWriter
    {
        public long Characters, Writes, LargestWrite;
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) => Count(1);
        public override void Write(char[] buffer, int index, int count) => Count(count);
        public override void Write(string? value) => Count(value?.Length ?? 0);
        private void Count(int n)
        {
            Characters += n;
            Writes++;
            LargestWrite = Math.Max(LargestWrite, n);
        }
    }
}
