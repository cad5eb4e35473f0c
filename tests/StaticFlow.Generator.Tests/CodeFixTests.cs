extern alias analyzers;

using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using analyzers::StaticFlow.Analyzers;
using StaticFlow.Analyzers;

namespace StaticFlow.Generator.Tests;

/// <summary>The code fixes turn the flagged code into code the generator accepts.</summary>
public class CodeFixTests
{
    private static Task Verify<TFix>(string source, string fixedSource) where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<GraphModuleAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = AnalyzerTests.NoReferenceAssemblies,
        };
        test.TestState.AdditionalReferences.AddRange(GeneratorHost.References);
        test.FixedState.AdditionalReferences.AddRange(GeneratorHost.References);
        return test.RunAsync();
    }

    [Fact]
    public Task AddsPartialToAModule() => Verify<MakeModulePartialCodeFix>(
        """
        using StaticFlow;

        [GraphModule]
        public class {|SF0009:Model|}
        {
        }
        """,
        """
        using StaticFlow;

        [GraphModule]
        public partial class Model
        {
        }
        """);

    [Fact]
    public Task AddsPartialToAModuleWithoutModifiers() => Verify<MakeModulePartialCodeFix>(
        """
        using StaticFlow;

        [GraphModule]
        class {|SF0009:Model|}
        {
        }
        """,
        """
        using StaticFlow;

        [GraphModule]
        partial class Model
        {
        }
        """);

    [Fact]
    public Task ReplacesMathWithOps() => Verify<UseOpsCodeFix>(
        """
        using System;
        using StaticFlow;

        [GraphModule]
        public partial class Model
        {
            [GraphFunction]
            public Tensor<double> Run(Tensor<double> x)
            {
                var e = {|SF0002:Math.Exp({|CS1503:x|})|};
                return e * 2.0;
            }
        }
        """,
        """
        using System;
        using StaticFlow;

        [GraphModule]
        public partial class Model
        {
            [GraphFunction]
            public Tensor<double> Run(Tensor<double> x)
            {
                var e = Ops.Exp(x);
                return e * 2.0;
            }
        }
        """);
}
