using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace StaticFlow.Generator.Lowering;

// Modules that hold modules (tf.Module nesting): a child's graph function called from a parent's is inlined with
// the child's variables (named by their path), and static [GraphFunction] helpers are inlined with none.
internal sealed partial class FunctionLowering
{
    /// <summary>The variable a <c>[Variable]</c> field is in the module object this code runs on, else null.</summary>
    private VariableModel? OwnVariable(IFieldSymbol field) =>
        _instance is not null && SymbolEqualityComparer.Default.Equals(field.ContainingType, _instance.Type) && TypeRules.HasAttribute(field, TypeRules.VariableAttribute)
        && _instance.Variables.TryGetValue(field.Name, out var variable)
            ? variable
            : null;

    /// <summary>A field holding a child module or a list of them, as the module object this code runs on created it.</summary>
    private Value? LowerChildModule(ISymbol member, ExpressionSyntax at)
    {
        if (_instance is null || !SymbolEqualityComparer.Default.Equals(member.ContainingType, _instance.Type))
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, at, $"'{at}'", "a graph function reaches the child modules of its own module only");
            return null;
        }
        if (!_instance.Children.TryGetValue(member.Name, out var child))
        {
            if (IsConstructorDecided(member)) { NeedsConstruction = true; _failed = true; return null; }
            Fail(GraphDiagnostics.UnsupportedConstruct, at, $"Module '{member.Name}'",
                "the graph needs it at compile time: create it where it is declared or in the constructor, with constant arguments (new Dense(784, 100))");
            return null;
        }
        return child is ModuleInstance single ? Value.OfModule(single) : Value.OfModules((List<ModuleInstance>)child);
    }

    /// <summary>A call through an interface (<c>layer.Call(x)</c> on an <c>ILayer</c>) on something that lowers to a module.</summary>
    private bool IsLayerInterfaceCall(InvocationExpressionSyntax invocation, IMethodSymbol method) =>
        method.ContainingType?.TypeKind == TypeKind.Interface && invocation.Expression is MemberAccessExpressionSyntax access
        && _model.GetTypeInfo(access.Expression).Type is { } receiverType && ModuleLowering.ModuleElementType(receiverType) is { IsList: false };

    /// <summary>A call of a static helper, or of a graph function on a module other than the one this code runs on.</summary>
    private bool IsCallOnAnotherModule(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        if (method.IsStatic) return true;
        if (invocation.Expression is MemberAccessExpressionSyntax { Expression: not ThisExpressionSyntax }) return true;
        // An unqualified call inside a child's function is a call on that child.
        return _instance is not null && !ReferenceEquals(_instance, _module.Root);
    }

    private Value? LowerModuleCall(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        ModuleInstance? target;
        if (method.IsStatic) target = null;
        else if (invocation.Expression is MemberAccessExpressionSyntax { Expression: not ThisExpressionSyntax } access)
        {
            Value? receiver = Lower(access.Expression);
            if (receiver is null) return null;
            if (receiver.Module is null)
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, access.Expression, $"'{access.Expression}'", "graph functions are called on this module, on its child modules or statically");
                return null;
            }
            target = receiver.Module;
        }
        else target = _instance;
        if (target is not null && method.ContainingType.TypeKind == TypeKind.Interface)
        {
            // A layer called through its interface (ILayer.Call): the graph function of the module this one is.
            if (target.Type.FindImplementationForInterfaceMember(method) is not IMethodSymbol implementation || !TypeRules.HasAttribute(implementation, TypeRules.GraphFunctionAttribute))
            {
                Fail(GraphDiagnostics.InvalidGraphFunction, invocation, method.Name, $"{target.Type.Name} implements it without [GraphFunction], so it has no graph form");
                return null;
            }
            method = implementation;
        }
        if (target is not null && !SymbolEqualityComparer.Default.Equals(method.ContainingType, target.Type))
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"The call '{invocation}'", "the module holds another type than the function's");
            return null;
        }
        var callee = _module.OtherFunction(method, invocation.GetLocation());
        if (callee is null) { _failed = true; return null; }
        if (callee.TrainStep is not null)
        {
            Fail(GraphDiagnostics.InvalidGraphFunction, invocation, callee.Method.Name, "a [TrainStep] function takes its step only as its compiled form; call the loss it returns instead");
            return null;
        }
        return InlineCall(invocation, callee, target);
    }

    /// <summary><c>layers[i]</c> on a list of child modules, with a constant index.</summary>
    private Value? LowerModuleItem(ElementAccessExpressionSyntax access)
    {
        Value? list = Lower(access.Expression);
        if (list?.Modules is not { } modules) return null;
        if (access.ArgumentList.Arguments.Count != 1 || !TryConstantLong(access.ArgumentList.Arguments[0].Expression, out long index))
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, access.ArgumentList, $"The index '{access.ArgumentList}'", "a child module is picked by a constant index or a loop counter");
            return null;
        }
        if (index < 0 || index >= modules.Count)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, access.ArgumentList, $"The index {index}", $"the list holds {modules.Count} modules");
            return null;
        }
        return Value.OfModule(modules[(int)index]);
    }

    /// <summary><c>foreach (var layer in layers)</c> over a list of child modules: unrolled, the local bound to each in turn.</summary>
    private bool TryLowerForEachModule(ForEachStatementSyntax statement)
    {
        if (ModuleLowering.ModuleElementType(_model.GetTypeInfo(statement.Expression).Type!) is not { IsList: true }) return false;
        if (_model.GetDeclaredSymbol(statement) is not ILocalSymbol local) return true;
        Value? list = Lower(statement.Expression);
        if (list?.Modules is not { } modules) return true;
        foreach (var module in modules)
        {
            if (_failed || _returns is not null) break;
            _locals[local] = Value.OfModule(module);
            LowerNested(statement.Statement);
        }
        _locals.Remove(local);
        return true;
    }
}
