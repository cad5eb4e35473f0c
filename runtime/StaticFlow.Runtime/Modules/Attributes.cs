namespace StaticFlow;

/// <summary>
/// Marks a <c>partial</c> class as a graph module, like <c>tf.Module</c>: it owns <see cref="VariableAttribute"/>
/// fields and <see cref="GraphFunctionAttribute"/> methods. StaticFlow's generator lowers the methods into one
/// static TensorFlow graph at compile time and adds graph execution, checkpoints and SavedModel export.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GraphModuleAttribute : Attribute;

/// <summary>A module variable (<c>tf.Variable</c>) of a fixed shape, saved in checkpoints and SavedModels.</summary>
/// <param name="shape">The variable's shape; every dimension known.</param>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class VariableAttribute(params long[] shape) : Attribute
{
    /// <summary>The variable's shape.</summary>
    public long[] Shape { get; } = shape;

    /// <summary>How the variable's first value is made; zeros unless set.</summary>
    public Init Init { get; set; } = Init.Zeros;

    /// <summary>Whether the variable belongs to <c>trainable_variables</c>.</summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>Initial values of variables, as Keras names them.</summary>
public enum Init
{
    /// <summary>All zeros (<c>tf.zeros_initializer</c>).</summary>
    Zeros,
    /// <summary>All ones.</summary>
    Ones,
    /// <summary>Uniform in ±sqrt(6 / (fan_in + fan_out)) (<c>glorot_uniform</c>, Keras' default for kernels).</summary>
    GlorotUniform,
    /// <summary>Normal with mean 0 and standard deviation 0.05 (Keras' <c>random_normal</c>).</summary>
    RandomNormal,
}

/// <summary>
/// Marks a method of a <see cref="GraphModuleAttribute"/> class as a graph function (<c>tf.function</c>). Called
/// directly it runs eagerly; the generator emits <c>&lt;Name&gt;Graph</c> that runs the compiled graph.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class GraphFunctionAttribute : Attribute
{
    /// <summary>The SavedModel signature key this function is exported under (<c>serving_default</c>), or none.</summary>
    public string? Signature { get; set; }
}

/// <summary>The device the nodes of a graph function (or of every function of a module) ask for, such as <c>/GPU:0</c>.</summary>
/// <param name="device">A TensorFlow device string.</param>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = false)]
public sealed class DeviceAttribute(string device) : Attribute
{
    /// <summary>The device string as written.</summary>
    public string Device { get; } = device;
}

/// <summary>The static shape of a graph function's tensor parameter; -1 for a dimension known only at run time.</summary>
/// <param name="dims">The dimensions.</param>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class ShapeAttribute(params long[] dims) : Attribute
{
    /// <summary>The dimensions.</summary>
    public long[] Dims { get; } = dims;
}

/// <summary>
/// Declares that a static method is the TensorFlow op <paramref name="op"/>. The generator lowers a call to it into
/// one node: each parameter whose snake_case name is an attr of the op sets that attr; the others are the op's
/// inputs in order (tensors, or constant arrays that become <c>Const</c> nodes). Type attrs come from the argument
/// and result element types. The method's own body is the eager implementation.
/// </summary>
/// <param name="op">The op's registered name, as in TensorFlow.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class OpMethodAttribute(string op) : Attribute
{
    /// <summary>The op's registered name.</summary>
    public string Op { get; } = op;
}
