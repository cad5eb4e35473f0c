using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Snapshooter.Xunit;

namespace StaticFlow.Generator.Tests;

/// <summary>What the generator emits, that it is incremental, and that it stays silent on code the analyzers reject.</summary>
public class GeneratorPipelineTests
{
    [Fact]
    public void GeneratedRegressorMatchesTheSnapshot()
    {
        var (_, output, generated) = GeneratorHost.Run(GeneratorHost.Compile(Sources.Regressor));
        var source = Assert.Single(generated);
        Assert.Equal("Models.Regressor.StaticFlow.g.cs", source.HintName);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Snapshot.Match(source.SourceText.ToString());
    }

    [Fact]
    public void GeneratedGraphListsEveryNodeReadably()
    {
        var (_, _, generated) = GeneratorHost.Run(GeneratorHost.Compile(Sources.Regressor));
        string text = generated[0].SourceText.ToString();
        Assert.Contains("//   Predict/dense1/MatMul = MatMul(Predict/x, Predict/dense1/ReadVariableOp) {T=float, grad_a=false, grad_b=false, transpose_a=false, transpose_b=false} @ /device:GPU:0", text);
        Assert.Contains("//   w1 = VarHandleOp() {allowed_devices=[], container=\"\", debug_name=\"\", dtype=float, shape=[5,10], shared_name=\"w1\"}", text);
    }

    [Fact]
    public void UnrelatedEditsReuseTheLoweredModel()
    {
        var compilation = GeneratorHost.Compile(Sources.Regressor, "namespace Other; public class Unrelated { public int Value => 1; }");
        var (driver, _, _) = GeneratorHost.Run(compilation);

        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int Value => 2; public int More => 3; }", GeneratorHost.ParseOptions, path: "Source1.cs"));
        edited = edited.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other; public static class Added { }", GeneratorHost.ParseOptions, path: "Added.cs"));
        var (rerun, _, _) = GeneratorHost.Run(edited, driver);

        var result = rerun.GetRunResult().Results.Single();
        var lowering = result.TrackedSteps[GraphModuleGenerator.Steps.Lower];
        Assert.All(lowering.SelectMany(step => step.Outputs), output =>
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"lowering re-ran: {output.Reason}"));
        Assert.All(result.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs), output =>
            Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void AnEditToTheModuleEmitsAgain()
    {
        var compilation = GeneratorHost.Compile(Sources.Regressor);
        var (driver, _, _) = GeneratorHost.Run(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(Sources.Regressor.Replace("Ops.Relu(", "Ops.Tanh("), GeneratorHost.ParseOptions, path: "Source0.cs"));
        var (rerun, _, generated) = GeneratorHost.Run(edited, driver);
        Assert.Contains("= Tanh(", generated.Single().SourceText.ToString());
        var outputs = rerun.GetRunResult().Results.Single().TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs);
        Assert.Contains(outputs, output => output.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void InvalidModulesGenerateNothingAndTheAnalyzerSaysWhy()
    {
        string invalid = Sources.Regressor.Replace("var h = Ops.Relu(Ops.MatMul(x, w1) + b1);", "var h = Ops.Relu(Ops.MatMul(x, w2) + b1);");
        var compilation = GeneratorHost.Compile(invalid);
        var (_, _, generated) = GeneratorHost.Run(compilation);
        Assert.Empty(generated);
        var diagnostic = Assert.Single(GeneratorHost.Analyze(compilation));
        Assert.Equal("SF0006", diagnostic.Id);
        Assert.Contains("inner dimensions differ: a [?,5] and b [10,1]", diagnostic.GetMessage());
        Assert.Equal("Ops.MatMul(x, w2)", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void GeneratedMembersAreMarkedAndLiteralsAreEscapedByRoslyn()
    {
        // A signature key with a newline, quotes and a backslash must not break the generated code.
        string source = Sources.Regressor.Replace("Signature = \"serving_default\"", "Signature = \"line\\nbreak \\\"quoted\\\" back\\\\slash\"");
        var assembly = GeneratorHost.Build(source);
        var module = (IGraphModule)Activator.CreateInstance(assembly.GetType("Models.Regressor")!)!;
        Assert.Equal("line\nbreak \"quoted\" back\\slash", Assert.Single(module.Definition.Functions).SignatureKey);
        var predict = assembly.GetType("Models.Regressor")!.GetMethod("PredictGraph")!;
        Assert.NotNull(predict.GetCustomAttributes(typeof(System.CodeDom.Compiler.GeneratedCodeAttribute), false).SingleOrDefault());
    }
}
