extern alias analyzers;

using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using analyzers::StaticFlow.Analyzers;

namespace StaticFlow.Generator.Tests;

/// <summary>Each diagnostic fires at its exact span (the markup <c>{|ID:...|}</c>), and valid modules get none.</summary>
public class AnalyzerTests
{
    internal static ReferenceAssemblies NoReferenceAssemblies { get; } = new("net10.0");

    private static Task Verify(string body, string members = "", string extra = "")
    {
        string source = $$"""
            using System;
            using System.Linq;
            using StaticFlow;

            namespace Models;

            [GraphModule]
            public partial class Model
            {
                [Variable(5, 10)] Tensor<float> w;
                [Variable(10)] Tensor<float> b;
            {{members}}
                [GraphFunction]
                public Tensor<float> Run([Shape(-1, 5)] Tensor<float> x)
                {
            {{body}}
                }
            }
            {{extra}}
            """;
        var test = new CSharpAnalyzerTest<GraphModuleAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = NoReferenceAssemblies,
        };
        test.TestState.AdditionalReferences.AddRange(GeneratorHost.References);
        return test.RunAsync();
    }

    [Fact]
    public Task ValidCodeHasNoDiagnostics() => Verify("        var h = Ops.Relu(Ops.MatMul(x, w) + b);\n        return h * 2f;");

    [Fact]
    public async Task ValidSampleModulesHaveNoDiagnostics()
    {
        foreach (string source in new[] { Sources.Regressor, Sources.Everything, Sources.Cnn })
            Assert.Empty(GeneratorHost.Analyze(GeneratorHost.Compile(source)));
        await Task.CompletedTask;
    }

    [Fact]
    public Task TryIsUnsupported() => Verify("        var h = x;\n        {|SF0001:try { h = x * 2f; } finally { }|}\n        return h;");

    [Fact]
    public Task LockIsUnsupported() => Verify("        {|SF0001:lock (this) { }|}\n        return x;");

    [Fact]
    public Task ObjectCreationIsUnsupported() => Verify("        var r = {|SF0001:new Random()|};\n        return x;");

    [Fact]
    public Task StringsAreUnsupported() => Verify("        var s = {|SF0001:\"hello\"|};\n        return x;");

    [Fact]
    public Task LinqIsUnsupported() => Verify("        var n = {|SF0001:new[] { 1, 2 }.Sum()|};\n        return x;");

    [Fact]
    public Task MathCallsAreNotOps() => Verify("        var e = {|SF0002:Math.Exp(2.0)|};\n        return x;");

    [Fact]
    public Task UnknownOpIsReported() => Verify(
        "        return {|SF0003:Custom.Mystery(x)|};",
        extra: "public static class Custom { [OpMethod(\"NoSuchOp\")] public static Tensor<float> Mystery(Tensor<float> x) => x; }");

    [Fact]
    public Task ParameterThatIsNeitherInputNorAttr() => Verify(
        "        return Custom.Relu(x, {|SF0004:3|});",
        extra: "public static class Custom { [OpMethod(\"Relu\")] public static Tensor<float> Relu(Tensor<float> features, int bogus) => features; }");

    [Fact]
    public Task ElementTypeWithoutDType() => Verify("        return x;", members: "    [Variable(2)] Tensor<decimal> {|SF0005:d|};");

    [Fact]
    public Task ATensorIfOnAConditionNotProvablyOneElementIsReported() => Verify(
        "        var h = x;\n        if ({|SF0001:x > 0f|}) h = x * 2f;\n        return h;");

    [Fact]
    public Task ATensorConditionalOnAConditionNotProvablyOneElementIsReported() => Verify(
        "        return {|SF0001:Ops.Sum(x, [0]) > 0f|} ? x : -x;");

    [Fact]
    public Task AReducedConditionIsOneElementAndLowers() => Verify(
        "        var h = x;\n        if (Ops.All(x > 0f, [0, 1])) h = x * 2f;\n        return Ops.Sum(x, [0, 1]) > 1f ? h : -h;");

    [Fact]
    public Task AnEarlyReturnUnderATensorConditionLowers() => Verify(
        "        if (Ops.Sum(x, [0, 1]) > 0f) return x * 2f;\n        var h = x - 1f;\n        return h;");

    [Fact]
    public Task AReturnInOneBranchThatTheFunctionDoesNotEndAfterIsReportedAtTheIf() => Verify(
        "        var h = x;\n        using (GraphScope.Name(\"inner\"))\n        {\n            {|SF0001:if (Ops.Sum(x, [0, 1]) > 0f) return x;|}\n            h = x * 3f;\n        }\n        return h;");

    [Fact]
    public Task BroadcastMismatchNamesBothShapes() => Verify("        var bad = {|SF0006:x + w|};\n        return x;");

    [Fact]
    public Task MatMulMismatchNamesBothShapes() => Verify("        return {|SF0006:Ops.MatMul(w, w)|};");

    [Fact]
    public Task WhileLoopCannotBeLowered() => Verify("        var h = x;\n        {|SF0007:while (true) { h = h * 2f; }|}\n        return h;");

    [Fact]
    public Task ForLoopWithoutConstantBoundCannotBeUnrolled() => Verify(
        "        var h = x;\n        {|SF0007:for (int i = 0; i < steps; i++) h = h * 2f;|}\n        return h;",
        members: "    int steps = 3;");

    [Fact]
    public Task RecursionIsReported() => Verify(
        "        return x;",
        members: """
                [GraphFunction] public Tensor<float> A(Tensor<float> v) => {|SF0008:B(v)|};
                [GraphFunction] public Tensor<float> B(Tensor<float> v) => {|SF0008:A(v)|};
            """);

    [Fact]
    public Task ModuleMustBePartial()
    {
        var test = new CSharpAnalyzerTest<GraphModuleAnalyzer, DefaultVerifier>
        {
            TestCode = "using StaticFlow;\n[GraphModule]\npublic class {|SF0009:Plain|}\n{\n}\n",
            ReferenceAssemblies = NoReferenceAssemblies,
        };
        test.TestState.AdditionalReferences.AddRange(GeneratorHost.References);
        return test.RunAsync();
    }

    private const string Layer = """

        [GraphModule]
        public partial class Layer
        {
            public {|SF0019:Layer|}(int units) { Units = units; }
            public int Units { get; }
            [Variable(5, nameof(Units))] Tensor<float> kernel;
            [GraphFunction] public Tensor<float> Call(Tensor<float> x) => Ops.MatMul(x, kernel);
        }
        """;

    [Fact]
    public Task AChildModuleNotCreatedAtCompileTimeIsReportedWhereItIsUsed() =>
        Verify("        return {|SF0001:layer|}.Call(x);", members: "    Layer layer = null!;", extra: Layer);

    [Fact]
    public Task AProblemInsideAChildIsReportedAtTheParentsCall() =>
        // The child's MatMul meets the parent's [?,5] x with its [5,3] kernel, then the parent adds b [10]: the
        // child's own code is fine; the mismatch is the parent's, at its call.
        Verify("        return {|SF0006:layer.Call(x) + b|};", members: "    readonly Layer layer = new(3);", extra: Layer);

    [Fact]
    public Task AChildsShapeErrorIsReportedAtTheCallThatCausesIt() =>
        Verify("        var h = Ops.MatMul(x, w);\n        return {|SF0006:layer.Call(h)|};", members: "    readonly Layer layer = new(3);", extra: Layer);

    [Fact]
    public Task AReturnInOnlyOneBranchOfATensorIfLowersWithTheRestAsItsElse() =>
        Verify("        var h = x;\n        if (Ops.Sum(x, [0, 1]) > 0f) { w = w * 2f; return x; }\n        return h;");

    [Fact]
    public Task GraphFunctionOutsideAModuleHasItsOwnId() =>
        Verify("        return x;", extra: "public class Plain\n{\n    [GraphFunction] public Tensor<float> {|SF0017:Lost|}(Tensor<float> x) => x;\n}");

    [Fact]
    public Task AMemberNamedLikeAGeneratedOneIsReportedAtIt() => Verify("        return x;", members: "    public int {|SF0018:RunGraph|} => 0;");

    [Fact]
    public Task AConstructorThatLeavesTheVariablesNullIsAWarning() => Verify("        return x;", members: "    public {|SF0019:Model|}() { }");

    [Fact]
    public void AConstructorThatInitializesOrChainsIsFine()
    {
        const string source = """
            using StaticFlow;

            [GraphModule]
            public partial class Model
            {
                [Variable(2)] Tensor<float> w;
                private readonly int _size;
                public Model(int size) { _size = size; InitializeVariables(seed: size); }
                public Model() : this(3) { }

                [GraphFunction] public Tensor<float> Run(Tensor<float> x) => x * w;
            }
            """;
        var (_, output, generated) = GeneratorHost.Run(GeneratorHost.Compile(source));
        Assert.Single(generated);
        Assert.Empty(GeneratorHost.Analyze(output).Where(d => d.Id.StartsWith("SF", StringComparison.Ordinal)));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
    }

    [Fact]
    public void EveryDiagnosticHasADescriptionAnAbsoluteHelpLinkAndAPage()
    {
        foreach (var descriptor in Lowering.GraphDiagnostics.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString()), descriptor.Id);
            Assert.StartsWith("https://", descriptor.HelpLinkUri, StringComparison.Ordinal);
            Assert.EndsWith($"/docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(StaticFlow.Tests.TestData.RepositoryRoot, "docs", "diagnostics", descriptor.Id + ".md")), descriptor.Id);
        }
    }

    [Fact]
    public Task VariableNeedsPositiveDimensions() => Verify("        return x;", members: "    [{|SF0010:Variable(0, 3)|}] Tensor<float> empty;");

    [Fact]
    public Task AVariableWithNoDimensionsIsAScalar() => Verify("        scalar = Ops.Sum(x, [0, 1]);\n        return x * scalar;", members: "    [Variable] Tensor<float> scalar;");

    [Fact]
    public Task AFailedVariableIsReportedOnceNotAgainWhereItIsWritten() =>
        Verify("        empty = x;\n        return x + empty;", members: "    [{|SF0010:Variable(0, 3)|}] Tensor<float> empty;");

    [Fact]
    public Task ForEachOverAnArrayKnownOnlyAtRunTimeCannotUnroll() =>
        Verify("        var h = x;\n        {|SF0007:foreach (var f in factors) h = h * f;|}\n        return h;", members: "    float[] factors = [1f];");

    [Fact]
    public Task AnIndexKnownOnlyAtRunTimeIsReportedAtTheIndex() =>
        Verify("        long rows = x.Shape[0];\n        return x[{|SF0001:(int)rows - 1|}];");

    [Fact]
    public Task NotNegatesOnlyBooleanTensors() => Verify("        return {|SF0001:!x|};");

    [Fact]
    public Task AShapeAxisPastTheRankIsAShapeError() => Verify("        long d = {|SF0006:x.Shape[2]|};\n        return x * (float)d;");

    [Fact]
    public Task ATensorConstantMustFillItsShape() => Verify("        return x + {|SF0006:Tensor<float>.From([1f, 2f, 3f], 5)|};");

    [Fact]
    public Task InvalidDeviceString() => Verify(
        "        return x;",
        members: "    [GraphFunction, {|SF0011:Device(\"GPU0\")|}] public Tensor<float> Placed(Tensor<float> v) => v;");

    [Fact]
    public Task InvalidDeviceScope() => Verify("        using var d = GraphScope.Device({|SF0011:\"/GPU:zero\"|});\n        return x;");

    [Fact]
    public Task DuplicateSignature() => Verify(
        "        return x;",
        members: """
                [GraphFunction(Signature = "serving_default")] public Tensor<float> First(Tensor<float> v) => v;
                [{|SF0012:GraphFunction(Signature = "serving_default")|}] public Tensor<float> Second(Tensor<float> v) => v;
            """);

    [Fact]
    public Task WriteToStateThatIsNotAVariable() => Verify("        {|SF0013:cache|} = x;\n        return x;", members: "    Tensor<float>? cache;");

    [Fact]
    public Task GraphFunctionParametersAreTensors() => Verify(
        "        return x;",
        members: "    [GraphFunction] public Tensor<float> Scale(Tensor<float> v, string {|SF0014:label|}) => v;");

    [Fact]
    public Task AConstantParameterTakesConstantsOnly() => Verify(
        "        var k = Ops.Sum(x, [0, 1]);\n        return Scale(x, 2) + Scale(x, {|SF0001:Environment.ProcessorCount|});",
        members: "    [GraphFunction] public Tensor<float> Scale(Tensor<float> v, int times) => times > 1 ? v * (float)times : v;");

    [Fact]
    public Task GradientOfASourceTheLossDoesNotReadIsReported() =>
        Verify("        var loss = Ops.Sum(Ops.MatMul(x, w), [0, 1]);\n        return {|SF0016:Gradients.Of(loss, b)|};");

    [Fact]
    public async Task AGradientStoppedByAnIntegerTensorSaysWhere()
    {
        var compilation = GeneratorHost.Compile("""
            using StaticFlow;
            [GraphModule]
            public partial class Model
            {
                [Variable(5, 10)] Tensor<float> w;
                [GraphFunction]
                public Tensor<float> Run([Shape(-1, 5)] Tensor<float> x) => Gradients.Of(Ops.Sum(Ops.Cast<float>(Ops.ArgMax(Ops.MatMul(x, w), 1)), [0]), w);
            }
            """);
        var diagnostic = Assert.Single(await Task.Run(() => GeneratorHost.Analyze(compilation)));
        Assert.Equal("SF0016", diagnostic.Id);
        Assert.Contains("it stops at the int64 input of Cast ('Run/Cast')", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public Task CallingATrainStepFromAnotherGraphFunctionIsReported() =>
        Verify("        return {|SF0014:Step(x)|};",
            members: "    [GraphFunction, TrainStep(Optimizer.SGD)] public Tensor<float> Step([Shape(-1, 5)] Tensor<float> x) => Ops.Mean(Ops.MatMul(x, w), [0, 1]);");

    [Fact]
    public Task GradientThroughAnOpWithoutARuleIsReported() =>
        Verify("        var rows = Ops.TensorListFromTensor(Ops.MatMul(x, w), [-1]);\n        var loss = Ops.Sum(Ops.TensorListStack<float>(rows, [-1]), [0, 1]);\n        return {|SF0016:Gradients.Of(loss, w)|};");

    [Fact]
    public Task AttrsMustBeConstants() => Verify("        return Ops.MatMul(x, w, transposeA: {|SF0015:flag|});", members: "    bool flag;");
}
