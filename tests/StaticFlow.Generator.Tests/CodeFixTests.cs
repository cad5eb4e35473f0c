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
    // Without the generator the fixed code can name generated members (InitializeVariables) that do not exist yet.
    private static Task Verify<TFix>(string source, string fixedSource, bool needsGeneratedMembers = false) where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<GraphModuleAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = AnalyzerTests.NoReferenceAssemblies,
            CompilerDiagnostics = needsGeneratedMembers ? CompilerDiagnostics.None : CompilerDiagnostics.Errors,
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

    [Fact]
    public Task AConstructorGetsTheInitializingCall() => Verify<InitializeVariablesCodeFix>(
        """
        using StaticFlow;

        [GraphModule]
        public partial class Model
        {
            [Variable(2)] Tensor<float> w;
            private readonly int _size;

            public {|SF0019:Model|}(int size)
            {
                _size = size;
            }
        }
        """,
        """
        using StaticFlow;

        [GraphModule]
        public partial class Model
        {
            [Variable(2)] Tensor<float> w;
            private readonly int _size;

            public Model(int size)
            {
                InitializeVariables();
                _size = size;
            }
        }
        """,
        needsGeneratedMembers: true);
}
