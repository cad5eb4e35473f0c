using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace StaticFlow.Generator.Lowering;

/// <summary>
/// One module object as the graph sees it (<c>tf.Module</c> nesting): the root module, or a child held by a field,
/// an array or a list, with the path its variables live under (<c>encoder/dense1/</c>), the values its constructor
/// gave its int members (the dimensions a layer takes from its arguments) and its own children.
/// </summary>
internal sealed class ModuleInstance
{
    public ModuleInstance(INamedTypeSymbol type, string path, Location creation)
    {
        Type = type;
        Path = path;
        Creation = creation;
    }

    public INamedTypeSymbol Type { get; }

    /// <summary>The prefix of its variables' names: empty for the root, <c>hidden/</c> or <c>layers/0/</c> for children.</summary>
    public string Path { get; }

    /// <summary>Where the parent creates it (the root: its class name), where problems of its construction are reported.</summary>
    public Location Creation { get; }

    /// <summary>Values of members known at compile time (numbers and bools), by member name.</summary>
    public Dictionary<string, object> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Its variables, by field name.</summary>
    public Dictionary<string, VariableModel> Variables { get; } = new(StringComparer.Ordinal);

    /// <summary>Child-module fields the constructor fills from its own arguments, which only a parent's construction knows.</summary>
    public HashSet<string> ConstructorDecided { get; } = new(StringComparer.Ordinal);

    /// <summary>Child modules by field name: one <see cref="ModuleInstance"/>, or a list for an array or list field.</summary>
    public Dictionary<string, object> Children { get; } = new(StringComparer.Ordinal);

    /// <summary>The C# expression of each child, from this module (<c>this.hidden</c>, <c>this.layers[1]</c>), with its path.</summary>
    public IEnumerable<(ModuleInstance Child, string Access)> DirectChildren()
    {
        foreach (var pair in Children)
        {
            if (pair.Value is ModuleInstance single) yield return (single, "this." + pair.Key);
            else if (pair.Value is List<ModuleInstance> list)
                for (int i = 0; i < list.Count; i++) yield return (list[i], $"this.{pair.Key}[{i.ToString(CultureInfo.InvariantCulture)}]");
        }
    }
}

/// <summary>
/// Works out, at compile time, what a module's constructor does to the parts the graph depends on: int members
/// (<c>Units = units;</c>) and child modules (<c>hidden = new Dense(784, 100);</c>). It reads field and property
/// initializers, then the constructor chain (<c>: this(...)</c>) and its top-level assignments, evaluating constant
/// arithmetic over the constructor's parameters. Anything else leaves a member unknown, never guessed.
/// </summary>
internal sealed class ConstructorEvaluator
{
    private const int MaxDepth = 16;

    private readonly Compilation _compilation;
    private readonly System.Threading.CancellationToken _cancellation;

    public ConstructorEvaluator(Compilation compilation, System.Threading.CancellationToken cancellation)
    {
        _compilation = compilation;
        _cancellation = cancellation;
    }

    /// <summary>What a construction leaves: member values, and the expression (with its environment) each child field is created from.</summary>
    public sealed class Result
    {
        public Dictionary<string, object> Members { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, (ExpressionSyntax Expression, Dictionary<string, object> Environment)> ChildCreations { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Evaluates <paramref name="constructor"/> (null: initializers only) of <paramref name="type"/> called with <paramref name="arguments"/>.</summary>
    public Result Construct(INamedTypeSymbol type, IMethodSymbol? constructor, IReadOnlyList<object?> arguments, int depth = 0)
    {
        var result = new Result();
        foreach (var member in type.GetMembers())
        {
            if (member.IsStatic) continue;
            var declarator = member.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellation)).FirstOrDefault();
            ExpressionSyntax? initializer = declarator switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };
            if (initializer is null) continue;
            Assign(result, type, member.Name, initializer, new Dictionary<string, object>(StringComparer.Ordinal));
        }
        if (constructor is not null) RunConstructor(result, type, constructor, arguments, depth);
        return result;
    }

    private void RunConstructor(Result result, INamedTypeSymbol type, IMethodSymbol constructor, IReadOnlyList<object?> arguments, int depth)
    {
        if (depth > MaxDepth) return;
        if (constructor.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellation) is not ConstructorDeclarationSyntax syntax) return;
        var model = _compilation.GetSemanticModel(syntax.SyntaxTree);
        var environment = new Dictionary<string, object>(StringComparer.Ordinal);
        for (int i = 0; i < constructor.Parameters.Length; i++)
        {
            // An argument list shorter than the parameters takes the defaults; a null argument is not known.
            object? value = i < arguments.Count ? arguments[i] : constructor.Parameters[i].HasExplicitDefaultValue ? Number(constructor.Parameters[i].ExplicitDefaultValue) : null;
            if (value is not null) environment[constructor.Parameters[i].Name] = value;
        }
        if (syntax.Initializer is { } chained && chained.IsKind(SyntaxKind.ThisConstructorInitializer) && model.GetSymbolInfo(chained).Symbol is IMethodSymbol target)
            RunConstructor(result, type, target, BindArguments(target, chained.ArgumentList, model, environment, result.Members), depth + 1);
        IEnumerable<StatementSyntax> statements = syntax.Body?.Statements ?? (IEnumerable<StatementSyntax>)Array.Empty<StatementSyntax>();
        if (syntax.ExpressionBody is { } arrow) statements = new[] { SyntaxFactory.ExpressionStatement(arrow.Expression) };
        foreach (var statement in statements)
        {
            if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment } || !assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)) continue;
            string? name = assignment.Left switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } member => member.Name.Identifier.ValueText,
                _ => null,
            };
            // A synthesized tree (the expression body) has no semantic model of its own: bind the original.
            var right = syntax.ExpressionBody is { } body && body.Expression is AssignmentExpressionSyntax original ? original.Right : assignment.Right;
            if (name is not null && type.GetMembers(name).Any(m => !m.IsStatic)) Assign(result, type, name, right, environment);
        }
    }

    private void Assign(Result result, INamedTypeSymbol type, string member, ExpressionSyntax value, Dictionary<string, object> environment)
    {
        var symbol = type.GetMembers(member).FirstOrDefault();
        ITypeSymbol? memberType = symbol switch { IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, _ => null };
        if (memberType is not null && ModuleLowering.ModuleElementType(memberType) is not null)
        {
            result.ChildCreations[member] = (value, new Dictionary<string, object>(environment, StringComparer.Ordinal));
            return;
        }
        var model = _compilation.GetSemanticModel(value.SyntaxTree);
        if (Evaluate(value, model, environment, result.Members) is { } number) result.Members[member] = number;
        else result.Members.Remove(member);
    }

    /// <summary>
    /// The constructor arguments of a call, evaluated (null where not known at compile time), in parameter order. A
    /// parameter that takes modules (a layer, a params array of layers) gets the argument expressions themselves,
    /// each with the environment it is evaluated in, as a <see cref="PassedModules"/>.
    /// </summary>
    public List<object?> BindArguments(IMethodSymbol constructor, ArgumentListSyntax? list, SemanticModel model, Dictionary<string, object> environment, Dictionary<string, object> members)
    {
        var values = new List<object?>(constructor.Parameters.Select(p => p.HasExplicitDefaultValue ? Number(p.ExplicitDefaultValue) : null));
        if (list is null) return values;
        int position = 0;
        foreach (var argument in list.Arguments)
        {
            int index = argument.NameColon is { } named ? constructor.Parameters.IndexOf(constructor.Parameters.FirstOrDefault(p => p.Name == named.Name.Identifier.ValueText)!) : Math.Min(position++, values.Count - 1);
            if (index < 0 || index >= values.Count) continue;
            var parameter = constructor.Parameters[index];
            if (ModuleLowering.ModuleElementType(parameter.Type) is not null)
            {
                var passed = values[index] as PassedModules ?? new PassedModules();
                // Already-passed modules (a parameter forwarding its own argument) keep their first environment.
                if (ModuleArgument(argument.Expression, environment) is { } forwarded) passed.AddRange(forwarded);
                else passed.Add((argument.Expression, environment));
                values[index] = passed;
                continue;
            }
            values[index] = Evaluate(argument.Expression, model, environment, members);
        }
        return values;
    }

    /// <summary>Module creations passed to a constructor parameter, each with the environment its arguments are evaluated in.</summary>
    public sealed class PassedModules : List<(ExpressionSyntax Expression, Dictionary<string, object> Environment)>;

    /// <summary>The modules a parameter (named by <paramref name="expression"/>) was given, else null.</summary>
    public static PassedModules? ModuleArgument(ExpressionSyntax expression, Dictionary<string, object> environment)
    {
        var bare = expression switch
        {
            CollectionExpressionSyntax { Elements.Count: 1 } collection when collection.Elements[0] is SpreadElementSyntax spread => spread.Expression,
            _ => expression,
        };
        return bare is IdentifierNameSyntax identifier && environment.TryGetValue(identifier.Identifier.ValueText, out var value) ? value as PassedModules : null;
    }

    /// <summary>A number or bool the expression is at compile time: constants, parameters, known members and arithmetic on them.</summary>
    public static object? Evaluate(ExpressionSyntax expression, SemanticModel model, Dictionary<string, object> environment, Dictionary<string, object> members)
    {
        var constant = model.GetConstantValue(expression);
        if (constant.HasValue) return Number(constant.Value);
        switch (expression)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Evaluate(parenthesized.Expression, model, environment, members);
            case IdentifierNameSyntax identifier:
            {
                string name = identifier.Identifier.ValueText;
                var symbol = model.GetSymbolInfo(identifier).Symbol;
                if (symbol is IParameterSymbol && environment.TryGetValue(name, out var parameter)) return parameter;
                if (symbol is IFieldSymbol or IPropertySymbol && members.TryGetValue(name, out var member)) return member;
                return null;
            }
            case MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access:
                return members.TryGetValue(access.Name.Identifier.ValueText, out var value) ? value : null;
            case CastExpressionSyntax cast:
            {
                object? operand = Evaluate(cast.Expression, model, environment, members);
                return model.GetTypeInfo(cast.Type).Type?.SpecialType switch
                {
                    SpecialType.System_Int32 or SpecialType.System_Int64 => operand is double real ? (long)real : operand,
                    SpecialType.System_Single or SpecialType.System_Double => operand is long integer ? (double)integer : operand,
                    _ => null,
                };
            }
            case InvocationExpressionSyntax call when model.GetSymbolInfo(call).Symbol is IMethodSymbol { IsStatic: true } method
                                                       && method.ContainingType?.ToDisplayString() is "System.Math" or "System.MathF":
            {
                // Pure arithmetic a constructor may use on its arguments (1 / Math.Sqrt(keyDim)).
                var operands = call.ArgumentList.Arguments.Select(a => Evaluate(a.Expression, model, environment, members)).ToList();
                if (operands.Any(o => o is not (long or double))) return null;
                double[] d = operands.Select(o => Convert.ToDouble(o, CultureInfo.InvariantCulture)).ToArray();
                bool integral = operands.All(o => o is long);
                return (method.Name, d.Length) switch
                {
                    ("Sqrt", 1) => Math.Sqrt(d[0]),
                    ("Exp", 1) => Math.Exp(d[0]),
                    ("Log", 1) => Math.Log(d[0]),
                    ("Pow", 2) => Math.Pow(d[0], d[1]),
                    ("Abs", 1) => integral ? Math.Abs((long)operands[0]!) : Math.Abs(d[0]),
                    ("Max", 2) => integral ? Math.Max((long)operands[0]!, (long)operands[1]!) : Math.Max(d[0], d[1]),
                    ("Min", 2) => integral ? Math.Min((long)operands[0]!, (long)operands[1]!) : Math.Min(d[0], d[1]),
                    _ => null,
                };
            }
            case ConditionalExpressionSyntax conditional:
                return Evaluate(conditional.Condition, model, environment, members) is bool flag
                    ? Evaluate(flag ? conditional.WhenTrue : conditional.WhenFalse, model, environment, members)
                    : null;
            case PrefixUnaryExpressionSyntax not when not.IsKind(SyntaxKind.LogicalNotExpression):
                return Evaluate(not.Operand, model, environment, members) is bool truth ? !truth : null;
            case PrefixUnaryExpressionSyntax negation when negation.IsKind(SyntaxKind.UnaryMinusExpression):
                return Evaluate(negation.Operand, model, environment, members) switch { long l => -l, double d => -d, _ => null };
            case BinaryExpressionSyntax binary:
            {
                object? a = Evaluate(binary.Left, model, environment, members), b = Evaluate(binary.Right, model, environment, members);
                if (a is long x && b is long y)
                {
                    return binary.Kind() switch
                    {
                        SyntaxKind.AddExpression => x + y, SyntaxKind.SubtractExpression => x - y, SyntaxKind.MultiplyExpression => x * y,
                        SyntaxKind.DivideExpression when y != 0 => x / y, SyntaxKind.ModuloExpression when y != 0 => x % y,
                        SyntaxKind.GreaterThanExpression => x > y, SyntaxKind.LessThanExpression => x < y,
                        SyntaxKind.GreaterThanOrEqualExpression => x >= y, SyntaxKind.LessThanOrEqualExpression => x <= y,
                        SyntaxKind.EqualsExpression => x == y, SyntaxKind.NotEqualsExpression => x != y,
                        _ => null,
                    };
                }
                if (a is bool p1 && b is bool q1)
                {
                    return binary.Kind() switch
                    {
                        SyntaxKind.LogicalAndExpression => p1 && q1, SyntaxKind.LogicalOrExpression => p1 || q1,
                        SyntaxKind.EqualsExpression => p1 == q1, SyntaxKind.NotEqualsExpression => p1 != q1,
                        _ => null,
                    };
                }
                if (a is long or double && b is long or double)
                {
                    double p = Convert.ToDouble(a, CultureInfo.InvariantCulture), q = Convert.ToDouble(b, CultureInfo.InvariantCulture);
                    return binary.Kind() switch
                    {
                        SyntaxKind.AddExpression => p + q, SyntaxKind.SubtractExpression => p - q, SyntaxKind.MultiplyExpression => p * q, SyntaxKind.DivideExpression => p / q,
                        _ => null,
                    };
                }
                return null;
            }
            default:
                return null;
        }
    }

    private static object? Number(object? value) => value switch
    {
        bool flag => flag,
        int or long or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float or double or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => null,
    };
}
