using System.Reflection;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Kernels;
using StaticFlow.Operations;
using StaticFlow.Tensors;
using Xunit.Abstractions;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// The op catalogue's conformance: every op defined once has a shape function, a kernel for every dtype its
/// <c>Ops</c> method admits, an <c>Ops</c> method or a word on what writes it, and a test case (here or named below);
/// and <c>docs/ops.md</c> is the catalogue as it is.
/// </summary>
public class OpCatalogueTests(ITestOutputHelper output)
{
    private static IEnumerable<OpSchema> Schemas => OpCatalog.StandardSchemas.Values;

    [Fact]
    public void EveryOpHasAShapeFunctionAKernelAWayInAndATestCase()
    {
        var problems = new List<string>();
        foreach (var schema in Schemas)
        {
            if (schema.Shape is null) problems.Add($"{schema.Name}: no shape function");
            if (!KernelRegistry.Standard.Contains(schema.Name)) problems.Add($"{schema.Name}: no kernel");
            bool hasMethod = OpSupport.OpsMethods.ContainsKey(schema.Name);
            if (hasMethod && schema.WrittenBy is not null) problems.Add($"{schema.Name}: has an Ops method, yet says '{schema.WrittenBy}' writes it");
            if (!hasMethod && schema.WrittenBy is null) problems.Add($"{schema.Name}: no Ops method, and its definition does not say what writes it");
            if (!OpCases.HasCase(schema.Name)) problems.Add($"{schema.Name}: no test case (add one to OpCases)");
        }
        foreach (string op in KernelRegistry.Standard.Ops)
            if (!OpCatalog.StandardSchemas.ContainsKey(op)) problems.Add($"{op}: a kernel, but no definition in StandardOps");
        foreach (string op in OpSupport.OpsMethods.Keys)
            if (!OpCatalog.StandardSchemas.ContainsKey(op)) problems.Add($"{op}: an Ops method, but no definition in StandardOps");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EveryDTypeAnOpsMethodAdmitsHasAKernel()
    {
        var problems = new List<string>();
        foreach (var (op, method) in OpSupport.OpsMethods)
            foreach (DType dtype in AdmittedDTypes(method))
                if (!KernelRegistry.Standard.Supports(op, dtype))
                    problems.Add($"Ops.{method.Name} admits {dtype.Name()}, but {op} has no kernel for it");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void TheCatalogueCountIsPrinted()
    {
        int withKernels = OpSupport.All.Count(o => o.Devices.Count > 0);
        output.WriteLine($"{withKernels} ops with kernels, {OpSupport.OpsMethods.Count} callable from graph functions, {OpSupport.All.Count(o => o.IsDifferentiable)} differentiable, {OpSupport.All.Count(o => o.HasGradient)} with a gradient rule");
        Assert.Equal(OpCatalog.StandardSchemas.Count, withKernels);
        // The floor the ops issue set: what a TensorFlow program commonly uses, at least 250 ops with kernels.
        Assert.True(withKernels >= 250, $"{withKernels} ops with kernels, fewer than 250");
    }

    [Fact]
    public void DocsOpsMdIsTheCatalogue()
    {
        string path = Path.Combine(RepositoryRoot(), "docs", "ops.md");
        string expected = OpsDocument();
        if (Environment.GetEnvironmentVariable("STATICFLOW_UPDATE_DOCS") == "1") File.WriteAllText(path, expected);
        Assert.True(File.Exists(path) && File.ReadAllText(path).ReplaceLineEndings("\n") == expected,
            "docs/ops.md is stale: run the tests with STATICFLOW_UPDATE_DOCS=1 to rewrite it from the catalogue");
    }

    [Theory]
    [MemberData(nameof(ElementwiseCases))]
    public void ElementwiseOpMatchesItsDoubleReference(string op, DType dtype)
    {
        var reference = OpCases.Elementwise[op];
        double[][] operands = [.. reference.Operands.Select(values => values.Select(v => RoundTo(dtype, v)).ToArray())];
        Tensor[] inputs = [.. operands.Select(values => Tensor.FromArray(values, values.Length).Cast(dtype))];
        Tensor result = RunOne(op, inputs, ("T", Type(dtype)));
        Assert.Equal(new TensorShape(operands[0].Length), result.Shape);
        double[] got = result.DType == DType.Bool ? [.. result.ToArray<bool>().Select(b => b ? 1.0 : 0.0)] : result.Cast(DType.Float64).ToArray<double>();
        double tolerance = dtype switch { DType.Float16 => 2e-3, DType.Float32 => 2e-6, _ => 1e-12 } * reference.ToleranceScale;
        for (int i = 0; i < got.Length; i++)
        {
            double expected = reference.Apply([.. operands.Select(o => o[i])]);
            if (result.DType != DType.Bool && dtype != DType.Float64) expected = RoundTo(dtype, expected);
            string at = $"{op}({string.Join(", ", operands.Select(o => o[i]))}) in {dtype.Name()}";
            if (double.IsNaN(expected)) Assert.True(double.IsNaN(got[i]), $"{at} = {got[i]}, expected NaN");
            else if (double.IsInfinity(expected)) Assert.Equal(expected, got[i]);
            else Assert.True(Math.Abs(got[i] - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{at} = {got[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(OpsMethodCases))]
    public void OpsMethodRunsEagerlyOnTheSameKernelAsTheGraph(string op)
    {
        var reference = OpCases.Elementwise[op];
        var method = OpSupport.OpsMethods[op];
        object[] arguments = [.. reference.Operands.Select(values => (object)Tensor<float>.From([.. values.Select(v => (float)v)], values.Length))];
        object typed = method.MakeGenericMethod(typeof(float)).Invoke(null, arguments)!;
        var eager = (Tensor)typed.GetType().GetProperty("Untyped")!.GetValue(typed)!;
        Tensor graph = RunOne(op, [.. reference.Operands.Select(values => Tensor.FromArray(values.Select(v => (float)v).ToArray(), values.Length))], ("T", Type(DType.Float32)));
        Assert.Equal(graph.DType, eager.DType);
        Assert.Equal(graph.Cast(DType.Float64).ToArray<double>(), eager.Cast(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void SmallOpsComputeWhatTensorFlowDefines()
    {
        var x = Tensor.FromArray<float>([1, -2, 3, -4, 5, -6], 2, 3);
        var f32 = ("T", Type(DType.Float32));
        Assert.Equal(x.ToArray<float>(), RunOne("Identity", [x], f32).ToArray<float>());
        Assert.Equal(x.ToArray<float>(), RunOne("StopGradient", [x], f32).ToArray<float>());
        var both = RunOp("IdentityN", [x, Tensor.Vector(7)], 2, ("T", Types(DType.Float32, DType.Int32)));
        Assert.Equal([7], both[1].ToArray<int>());
        Assert.Equal(new float[6], RunOne("ZerosLike", [x], f32).ToArray<float>());
        Assert.Equal(Enumerable.Repeat(1f, 6), RunOne("OnesLike", [x], f32).ToArray<float>());
        Assert.Equal([6], RunOne("Size", [x], f32).ToArray<int>());
        Assert.Equal([2], RunOne("Rank", [x], f32).ToArray<int>());
        Assert.Equal([2, 0, 1], RunOne("InvertPermutation", [Tensor.Vector(1, 2, 0)], ("T", Type(DType.Int32))).ToArray<int>());
        Assert.Equal(new TensorShape(2, 3), RunOne("PlaceholderWithDefault", [x], ("dtype", Type(DType.Float32)), ("shape", Shape(-1, 3))).Shape);
        Assert.Equal([false, true], RunOne("LogicalNot", [Tensor.Vector(true, false)]).ToArray<bool>());
        Assert.Equal([true, false], RunOne("LogicalOr", [Tensor.Vector(true, false), Tensor.Vector(false, false)]).ToArray<bool>());
        Assert.Equal([true, false], RunOne("Equal", [Tensor.Vector(1, 2), Tensor.Vector(1, 3)], ("T", Type(DType.Int32))).ToArray<bool>());
        Assert.Equal([false, true], RunOne("NotEqual", [Tensor.Vector(1, 2), Tensor.Vector(1, 3)], ("T", Type(DType.Int32))).ToArray<bool>());
        Assert.Equal([true, false], RunOne("GreaterEqual", [Tensor.Vector(3, 2), Tensor.Vector(3, 3)], ("T", Type(DType.Int32))).ToArray<bool>());
        Assert.Equal([false, true], RunOne("Greater", [Tensor.Vector(3, 4), Tensor.Vector(3, 3)], ("T", Type(DType.Int32))).ToArray<bool>());
        Assert.Equal([true, false], RunOne("LessEqual", [Tensor.Vector(3, 4), Tensor.Vector(3, 3)], ("T", Type(DType.Int32))).ToArray<bool>());
        Assert.Equal("a/b/c", Utf8(RunOne("StringJoin", [Tensor.Scalar("a"), Tensor.Scalar("b"), Tensor.Scalar("c")], ("N", Int(3)), ("separator", Str("/")))));
        Assert.Equal("ckpt_temp/part-00001-of-00002",
            Utf8(RunOne("ShardedFilename", [Tensor.Scalar("ckpt_temp/part"), Tensor.Scalar(1), Tensor.Scalar(2)])));
        Assert.Equal([true, false], RunOne("StaticRegexFullMatch", [Tensor.FromStrings(["s3://b"u8.ToArray(), "/tmp/x"u8.ToArray()], 2)], ("pattern", Str("^s3://.*"))).ToArray<bool>());
    }

    [Fact]
    public void ReferenceUpdatesAndTheStatefulIfRun()
    {
        var f32 = ("T", Type(DType.Float32));
        var session = new GraphSession(GraphImporter.Import(Graph(
            Node("w", "VariableV2", null, ("dtype", Type(DType.Float32)), ("shape", Shape(2))),
            Const("init", Tensor.Vector(1f, 2f)),
            Node("assign", "Assign", ["w", "init"], f32),
            Const("step", Tensor.Vector(10f, 10f)),
            Node("add", "AssignAdd", ["w", "step"], f32),
            Node("sub", "AssignSub", ["w", "init"], f32),
            Node("read", "Identity", ["w"], f32),
            Node("w_initialized", "IsVariableInitialized", ["w"], ("dtype", Type(DType.Float32))),
            Node("v", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", Shape(2))),
            Node("copy_off", "DisableCopyOnRead", ["v"]),
            Node("v_init", "AssignVariableOp", ["v", "init"], ("dtype", Type(DType.Float32))),
            Node("v_sub", "AssignSubVariableOp", ["v", "step"], ("dtype", Type(DType.Float32))),
            Node("v_read", "ReadVariableOp", ["v"], ("dtype", Type(DType.Float32))))));
        Assert.False(session.Run(null, ["w_initialized"])[0].AsSpan<bool>()[0]);
        session.Run(null, [], ["assign"]);
        Assert.True(session.Run(null, ["w_initialized"])[0].AsSpan<bool>()[0]);
        session.Run(null, [], ["add"]);
        session.Run(null, [], ["sub"]);
        Assert.Equal([10f, 10f], session.Run(null, ["read"])[0].ToArray<float>());
        session.Run(null, [], ["copy_off", "v_init"]);
        session.Run(null, [], ["v_sub"]);
        Assert.Equal([-9f, -8f], session.Run(null, ["v_read"])[0].ToArray<float>());

        var negate = new Protos.FunctionDef
        {
            Signature = new Protos.OpDef
            {
                Name = "negate",
                InputArg = { new Protos.OpDef.Types.ArgDef { Name = "a", Type = Protos.DataType.DtFloat } },
                OutputArg = { new Protos.OpDef.Types.ArgDef { Name = "out", Type = Protos.DataType.DtFloat } },
            },
            NodeDef = { Node("n", "Neg", ["a"], f32) },
            Ret = { ["out"] = "n:y:0" },
        };
        var graph = Graph(Placeholder("flag", DType.Bool), Const("x", Tensor.Scalar(3f)),
            Node("branch", "If", ["flag", "x"], ("Tcond", Type(DType.Bool)), ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)),
                ("then_branch", Func("negate")), ("else_branch", Func("negate"))),
            Const("message", Tensor.Scalar("printed by PrintV2")),
            Node("print", "PrintV2", ["message"], ("output_stream", Str("stdout"))));
        graph.Library = new Protos.FunctionDefLibrary { Function = { negate } };
        var withIf = new GraphSession(GraphImporter.Import(graph));
        Assert.Equal(-3f, withIf.Run(new Dictionary<string, Tensor> { ["flag"] = Tensor.Scalar(true) }, ["branch:0"])[0].AsSpan<float>()[0]);
        withIf.Run(null, [], ["print"]);
    }

    [Fact]
    public void ALibraryFunctionOfOpsWithoutKernelsFailsOnlyWhenReachedNamingIt()
    {
        // Keras writes backward functions (StridedSliceGrad, TensorList ops) into the library of a model whose serving
        // signature never calls them: they must not stop the model from loading and running.
        var backward = new Protos.FunctionDef
        {
            Signature = new Protos.OpDef
            {
                Name = "__inference_backward_7",
                InputArg = { new Protos.OpDef.Types.ArgDef { Name = "dy", Type = Protos.DataType.DtFloat } },
                OutputArg = { new Protos.OpDef.Types.ArgDef { Name = "dx", Type = Protos.DataType.DtFloat } },
            },
            NodeDef = { Node("grad", "StridedSliceGrad", ["dy"], ("T", Type(DType.Float32))) },
            Ret = { ["dx"] = "grad:output:0" },
        };
        var graph = Graph(Const("x", Tensor.Vector(1f, -2f)),
            Node("y", "Neg", ["x"], ("T", Type(DType.Float32))),
            Node("unused", "PartitionedCall", ["x"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("__inference_backward_7"))));
        graph.Library = new Protos.FunctionDefLibrary { Function = { backward } };
        var session = new GraphSession(GraphImporter.Import(graph));
        Assert.Equal([-1f, 2f], session.Run(null, ["y"])[0].ToArray<float>());
        var error = Assert.Throws<GraphException>(() => session.Run(null, ["unused"]));
        Assert.Contains("StridedSliceGrad", error.Message);
        Assert.Contains("__inference_backward_7", error.ToString());
    }

    public static TheoryData<string, DType> ElementwiseCases()
    {
        var data = new TheoryData<string, DType>();
        foreach (string op in OpCases.Elementwise.Keys.Order(StringComparer.Ordinal))
            foreach (DType dtype in new[] { DType.Float32, DType.Float64, DType.Float16 })
                data.Add(op, dtype);
        return data;
    }

    public static TheoryData<string> OpsMethodCases()
    {
        var data = new TheoryData<string>();
        foreach (string op in OpCases.Elementwise.Keys.Order(StringComparer.Ordinal))
            if (OpSupport.OpsMethods.TryGetValue(op, out var method) && method.IsGenericMethodDefinition && method.GetGenericArguments().Length == 1)
                data.Add(op);
        return data;
    }

    /// <summary>The dtypes whose element types satisfy the method's type parameters' constraints (the compiler admits exactly these).</summary>
    private static IEnumerable<DType> AdmittedDTypes(MethodInfo method)
    {
        if (!method.IsGenericMethodDefinition) yield break;
        foreach (var (clr, dtype) in ElementTypes)
        {
            Type[] arguments = [clr, .. Enumerable.Repeat(typeof(float), method.GetGenericArguments().Length - 1)];
            bool admitted;
            try { method.MakeGenericMethod(arguments); admitted = true; }
            catch (ArgumentException) { admitted = false; }
            if (admitted) yield return dtype;
        }
    }

    private static readonly (Type Clr, DType DType)[] ElementTypes =
    [
        (typeof(float), DType.Float32), (typeof(double), DType.Float64), (typeof(Half), DType.Float16), (typeof(BFloat16), DType.BFloat16),
        (typeof(sbyte), DType.Int8), (typeof(short), DType.Int16), (typeof(int), DType.Int32), (typeof(long), DType.Int64),
        (typeof(byte), DType.UInt8), (typeof(ushort), DType.UInt16), (typeof(uint), DType.UInt32), (typeof(ulong), DType.UInt64), (typeof(bool), DType.Bool),
    ];

    private static string Utf8(Tensor scalar) => System.Text.Encoding.UTF8.GetString(scalar.Strings[0]);

    private static double RoundTo(DType dtype, double value) => dtype switch
    {
        DType.Float32 => (float)value,
        DType.Float16 => (double)(Half)value,
        _ => value,
    };

    internal static string OpsDocument() =>
        "# Ops\n\n" +
        "Every op StaticFlow runs, generated from its one definition (`runtime/StaticFlow.Runtime/Operations/Shared/StandardOps.cs`) and\n" +
        "the kernel registry by `OpCatalogueTests.DocsOpsMdIsTheCatalogue`; `staticflow ops` prints the same table (`--json` for tools).\n" +
        "*dtypes* are those of the attr that selects the kernel (usually `T`): *floating* is float16, float32 and float64; *numeric*\n" +
        "adds every integer type; *any* means one kernel serves every dtype. *In graph functions* names the `Ops` method, or what\n" +
        "writes the op otherwise. *Gradient*: *yes* where StaticFlow has the op's gradient rule (used by compile-time gradients and the\n" +
        "eager tape), *not yet* where TensorFlow differentiates the op and StaticFlow does not yet, *none* where TensorFlow does not\n" +
        "either. How to add one: [adding-an-op.md](adding-an-op.md).\n\n" +
        $"{OpSupport.All.Count} ops.\n\n" +
        OpSupport.ToMarkdown().ReplaceLineEndings("\n");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generator.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Generator.sln not found above the test's folder");
    }
}

/// <summary><c>staticflow ops</c> lists the catalogue as text and JSON.</summary>
public class OpsCommandTests
{
    [Fact]
    public void OpsListsEveryOpWithItsDTypesAndHowGraphFunctionsReachIt()
    {
        var (code, text, _) = CliRunner.Run("ops");
        Assert.Equal(0, code);
        Assert.Contains($"{OpSupport.All.Count} ops", text);
        Assert.Matches(@"(?m)^Conv2D\s+floating\s+CPU\s+yes\s+Ops\.Conv2D$", text);

        (code, string json, _) = CliRunner.Run("ops", "--json");
        Assert.Equal(0, code);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var ops = document.RootElement.EnumerateArray().ToDictionary(o => o.GetProperty("op").GetString()!);
        Assert.Equal(OpSupport.All.Count, ops.Count);
        Assert.False(ops["Equal"].GetProperty("differentiable").GetBoolean());
        Assert.True(ops["MatMul"].GetProperty("gradient").GetBoolean());
        Assert.Equal("the exporter's saver", ops["SaveV2"].GetProperty("writtenBy").GetString());
        Assert.Contains("float16", ops["Sin"].GetProperty("dtypes").EnumerateArray().Select(d => d.GetString()));
        Assert.True(ops["Reshape"].GetProperty("anyDType").GetBoolean());
    }
}
