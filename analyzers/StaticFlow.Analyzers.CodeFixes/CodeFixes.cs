using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Generator.Lowering;

namespace StaticFlow.Analyzers;

/// <summary>SF0009: adds <c>partial</c> to a graph module's declaration.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeModulePartialCodeFix)), Shared]
public sealed class MakeModulePartialCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(GraphDiagnostics.ModuleNotPartial.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindToken(context.Span.Start).Parent is not ClassDeclarationSyntax declaration) return;
        context.RegisterCodeFix(
            CodeAction.Create("Make the graph module partial", c => AddPartial(context.Document, root, declaration), nameof(MakeModulePartialCodeFix)),
            context.Diagnostics);
    }

    private static Task<Document> AddPartial(Document document, SyntaxNode root, ClassDeclarationSyntax declaration)
    {
        var partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        ClassDeclarationSyntax updated;
        if (declaration.Modifiers.Count == 0)
        {
            // The class keyword's leading trivia (indentation, comments) moves to the new first modifier.
            updated = declaration
                .WithKeyword(declaration.Keyword.WithLeadingTrivia())
                .WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(declaration.Keyword.LeadingTrivia)));
        }
        else updated = declaration.WithModifiers(declaration.Modifiers.Add(partial));
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(declaration, updated)));
    }
}

/// <summary>SF0002: replaces a <c>Math</c>/<c>MathF</c> call with the <c>Ops</c> method of the same op (<c>Math.Exp</c> to <c>Ops.Exp</c>).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseOpsCodeFix)), Shared]
public sealed class UseOpsCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(GraphDiagnostics.NotAnOp.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(GraphDiagnostics.OpsReplacementProperty, out string? method) || method is null) continue;
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node) continue;
            var invocation = node as InvocationExpressionSyntax ?? node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (invocation?.Expression is not MemberAccessExpressionSyntax access) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Use Ops.{method}", c => Replace(context.Document, root, access, method, c), nameof(UseOpsCodeFix) + method),
                diagnostic);
        }
    }

    private static async Task<Document> Replace(Document document, SyntaxNode root, MemberAccessExpressionSyntax access, string method, CancellationToken cancellation)
    {
        var model = await document.GetSemanticModelAsync(cancellation).ConfigureAwait(false);
        // Plain "Ops" when it already binds to StaticFlow.Ops at this point, fully qualified otherwise.
        bool opsInScope = model?.LookupNamespacesAndTypes(access.SpanStart, name: "Ops").Any(s => s.ToDisplayString() == "StaticFlow.Ops") == true;
        ExpressionSyntax ops = opsInScope ? SyntaxFactory.IdentifierName("Ops") : SyntaxFactory.ParseExpression("global::StaticFlow.Ops");
        var replacement = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ops, SyntaxFactory.IdentifierName(method))
            .WithTriviaFrom(access);
        return document.WithSyntaxRoot(root.ReplaceNode(access, replacement));
    }
}

/// <summary>SF0019: makes a graph module's own constructor call <c>InitializeVariables()</c> first.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InitializeVariablesCodeFix)), Shared]
public sealed class InitializeVariablesCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(GraphDiagnostics.VariablesNotInitialized.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindToken(context.Span.Start).Parent is not ConstructorDeclarationSyntax constructor) return;
        context.RegisterCodeFix(
            CodeAction.Create("Call InitializeVariables() in the constructor", c => AddCall(context.Document, root, constructor), nameof(InitializeVariablesCodeFix)),
            context.Diagnostics);
    }

    private static Task<Document> AddCall(Document document, SyntaxNode root, ConstructorDeclarationSyntax constructor)
    {
        var call = SyntaxFactory.ParseStatement("InitializeVariables();");
        ConstructorDeclarationSyntax updated;
        if (constructor.Body is { Statements.Count: > 0 } body)
        {
            // Indented and ended as the statement it goes before.
            var first = body.Statements[0];
            call = call.WithLeadingTrivia(first.GetLeadingTrivia()).WithTrailingTrivia(first.GetTrailingTrivia());
            updated = constructor.WithBody(body.WithStatements(body.Statements.Insert(0, call)));
        }
        else if (constructor.Body is { } empty)
        {
            updated = constructor.WithBody(empty.WithStatements(SyntaxFactory.SingletonList(call)));
        }
        else
        {
            // An expression body becomes a block: the call, then the expression as a statement.
            var statements = SyntaxFactory.List(new StatementSyntax[] { call });
            if (constructor.ExpressionBody is { } arrow) statements = statements.Add(SyntaxFactory.ExpressionStatement(arrow.Expression.WithoutTrivia()));
            updated = constructor.WithExpressionBody(null).WithSemicolonToken(default).WithBody(SyntaxFactory.Block(statements));
        }
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(constructor, updated.WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation))));
    }
}
