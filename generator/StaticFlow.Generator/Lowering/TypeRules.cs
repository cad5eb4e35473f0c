using Microsoft.CodeAnalysis;

namespace StaticFlow.Generator.Lowering;

/// <summary>How C# types of graph code map to TensorFlow: <c>Tensor&lt;T&gt;</c> and element types to dtypes.</summary>
internal static class TypeRules
{
    public const string AttributeNamespace = "StaticFlow";
    public const string GraphModuleAttribute = "StaticFlow.GraphModuleAttribute";
    public const string GraphFunctionAttribute = "StaticFlow.GraphFunctionAttribute";
    public const string VariableAttribute = "StaticFlow.VariableAttribute";
    public const string DeviceAttribute = "StaticFlow.DeviceAttribute";
    public const string ShapeAttribute = "StaticFlow.ShapeAttribute";
    public const string OpMethodAttribute = "StaticFlow.OpMethodAttribute";
    public const string TrainStepAttribute = "StaticFlow.TrainStepAttribute";
    public const string CompositeAttribute = "StaticFlow.CompositeAttribute";
    public const string OutputAttribute = "StaticFlow.OutputAttribute";
    public const string StringTensors = "StaticFlow.StringTensors";

    /// <summary>The element type of <c>StaticFlow.Tensor&lt;T&gt;</c>, or null for any other type.</summary>
    public static ITypeSymbol? TensorElement(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Name: "Tensor", Arity: 1 } named && named.ContainingNamespace?.ToDisplayString() == AttributeNamespace
            ? named.TypeArguments[0]
            : null;

    /// <summary>The TensorFlow dtype name of a C# element type, or null when graphs cannot hold it.</summary>
    public static string? DTypeOf(ITypeSymbol? type)
    {
        if (type is null) return null;
        switch (type.SpecialType)
        {
            case SpecialType.System_Single: return "float";
            case SpecialType.System_Double: return "double";
            case SpecialType.System_Int32: return "int32";
            case SpecialType.System_Int64: return "int64";
            case SpecialType.System_Boolean: return "bool";
            case SpecialType.System_Byte: return "uint8";
            case SpecialType.System_SByte: return "int8";
            case SpecialType.System_Int16: return "int16";
            case SpecialType.System_UInt16: return "uint16";
            case SpecialType.System_UInt32: return "uint32";
            case SpecialType.System_UInt64: return "uint64";
        }
        string name = type.ToDisplayString();
        return name switch
        {
            "System.Half" => "half",
            "StaticFlow.Tensors.BFloat16" => "bfloat16",
            "StaticFlow.TString" => "string",
            "StaticFlow.TVariant" => "variant",
            _ => null,
        };
    }

    /// <summary>The C# spelling of an element type for emitted code.</summary>
    public static string CSharpName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    /// <summary>The C# spelling of the element type of a dtype the lowering creates variables of (optimizer state).</summary>
    public static string CSharpNameOfDType(string dtype) => dtype switch
    {
        "double" => "double",
        "int64" => "long",
        "int32" => "int",
        _ => "float",
    };

    /// <summary>The runtime's DType member of a dtype name.</summary>
    public static string DTypeMember(string dtype) => dtype switch
    {
        "float" => "Float32",
        "double" => "Float64",
        "int32" => "Int32",
        "int64" => "Int64",
        "bool" => "Bool",
        "uint8" => "UInt8",
        "int8" => "Int8",
        "int16" => "Int16",
        "uint16" => "UInt16",
        "uint32" => "UInt32",
        "uint64" => "UInt64",
        "half" => "Float16",
        "bfloat16" => "BFloat16",
        _ => "String",
    };

    public static bool HasAttribute(ISymbol symbol, string metadataName) => FindAttribute(symbol, metadataName) is not null;

    public static AttributeData? FindAttribute(ISymbol symbol, string metadataName)
    {
        foreach (var attribute in symbol.GetAttributes())
            if (attribute.AttributeClass?.ToDisplayString() == metadataName) return attribute;
        return null;
    }

    /// <summary>camelCase or PascalCase to TensorFlow's snake_case: <c>keepDims</c> is <c>keep_dims</c>.</summary>
    public static string SnakeCase(string name)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) text.Append('_');
                text.Append(char.ToLowerInvariant(c));
            }
            else text.Append(c);
        }
        return text.ToString();
    }
}
