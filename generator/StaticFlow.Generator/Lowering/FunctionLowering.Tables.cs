using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    /// <summary>
    /// <c>Ops.StringLookup(words, vocabulary)</c> as Keras' StringLookup exports it: a <c>HashTableV2</c> shared by name
    /// (the vocabulary's fingerprint, so lookups with one vocabulary share a table), an <c>InitializeTableV2</c> from the
    /// vocabulary and its indices (from 1) as constants, and a <c>LookupTableFindV2</c> with 0, the out-of-vocabulary
    /// index, as its default. The find waits for the initializer (a control input), which fills the table on the first
    /// call and finds it already holding the same data on the others, as TensorFlow's initializable tables allow.
    /// </summary>
    private Value? LowerStringLookup(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        var arguments = BindArguments(invocation, method);
        if (arguments[0].Count != 1 || arguments[1].Count != 1)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"'{invocation}'", "pass the strings and the vocabulary");
            return null;
        }
        Value? input = LowerTensor(arguments[0][0], "string");
        if (input is null) return null;
        var items = ConstantArrayItems(arguments[1][0]);
        var words = items?.Select(item => item.Model.GetConstantValue(item.Item).Value as string).ToList();
        if (words is null || words.Any(w => w is null))
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, arguments[1][0], $"The vocabulary '{arguments[1][0]}'",
                "a lookup's vocabulary in a graph function is a literal array of strings or a static readonly one");
            return null;
        }
        if (words.GroupBy(w => w, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, arguments[1][0], $"The vocabulary '{arguments[1][0]}'", $"it holds '{repeated.Key}' twice");
            return null;
        }

        string table = _graph.UniqueName(Scope, "hash_table");
        AddRawNode(table, "HashTableV2", Array.Empty<string>(), new[]
        {
            Attrs.Type("key_dtype", "string"), Attrs.Type("value_dtype", "int64"), Attrs.String("shared_name", "hash_table_" + Fingerprint(words!)),
        });
        string handle = _graph.OutputReference(table, 0);
        var keys = AddConst("string", new long[] { words.Count }, words!);
        var values = AddConst("int64", new long[] { words.Count }, Enumerable.Range(1, words.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        string init = _graph.UniqueName(Scope, "InitializeTableV2");
        AddRawNode(init, "InitializeTableV2", new[] { handle, keys.Reference!, values.Reference! }, new[] { Attrs.Type("Tkey", "string"), Attrs.Type("Tval", "int64") });
        var outOfVocabulary = AddConst("int64", Array.Empty<long>(), new[] { "0" });
        string find = _graph.UniqueName(Scope, "LookupTableFindV2");
        AddRawNode(find, "LookupTableFindV2", new[] { handle, input.Reference!, outOfVocabulary.Reference!, "^" + init },
            new[] { Attrs.Type("Tin", "string"), Attrs.Type("Tout", "int64") });
        return Value.Tensor(_graph.OutputReference(find, 0), "int64", input.Shape);
    }

    /// <summary>FNV-1a (64 bits) of the words with a separator after each: a stable table name for one vocabulary.</summary>
    private static string Fingerprint(IEnumerable<string?> words)
    {
        ulong hash = 14695981039346656037;
        foreach (string? word in words)
            foreach (byte b in Encoding.UTF8.GetBytes(word + "\0"))
                hash = unchecked((hash ^ b) * 1099511628211);
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
