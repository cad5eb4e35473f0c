namespace StaticFlow;

/// <summary>
/// Marks a <c>partial</c> class as a graph module, like <c>tf.Module</c>: it owns <see cref="VariableAttribute"/>
/// fields and <see cref="GraphFunctionAttribute"/> methods. StaticFlow's generator lowers the methods into one
/// static TensorFlow graph at compile time and adds graph execution, checkpoints and SavedModel export.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GraphModuleAttribute : Attribute;

/// <summary>A module variable (<c>tf.Variable</c>) of a fixed shape, saved in checkpoints and SavedModels.</summary>
/// <param name="shape">
/// The variable's shape; every dimension known. No dimensions (<c>[Variable]</c>) is a scalar, as <c>tf.Variable(0.5)</c>.
/// A dimension may name an int member of the module (<c>[Variable(nameof(Inputs), nameof(Units))]</c>): a layer
/// module's shape then comes from its constructor's arguments, known at compile time where a parent module creates
/// it with constants (<c>new Dense(784, 100)</c>), and read from the member when it runs on its own.
/// </param>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class VariableAttribute(params object[] shape) : Attribute
{
    /// <summary>The variable's dimensions: numbers, or names of int members of the module.</summary>
    public object[] Shape { get; } = shape;

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
    /// <summary>Uniform in ±0.05 (Keras' <c>uniform</c>, Embedding's default).</summary>
    RandomUniform,
    /// <summary>
    /// An orthogonal matrix (Keras' <c>orthogonal</c>, the recurrent kernels' default): the dimensions but the last
    /// flattened into rows, Q of the QR decomposition of a normal matrix with R's diagonal made positive.
    /// </summary>
    Orthogonal,
    /// <summary>Zeros with ones in the second quarter: an LSTM bias whose forget gate starts open (Keras' <c>unit_forget_bias=True</c>).</summary>
    UnitForgetBias,
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

/// <summary>
/// Names a graph function's single output (<c>[return: Output("scores")]</c>): the graph's output node and the key of
/// the output in its SavedModel signature, instead of TensorFlow's <c>output_0</c>. Tuple element names name the
/// outputs of a function that returns several.
/// </summary>
/// <param name="name">The output's name: letters, digits and <c>_</c>, not starting with a digit.</param>
[AttributeUsage(AttributeTargets.ReturnValue, Inherited = false)]
public sealed class OutputAttribute(string name) : Attribute
{
    /// <summary>The output's name.</summary>
    public string Name { get; } = name;
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

/// <summary>TensorFlow's optimizers, each applied with its resource apply op.</summary>
public enum Optimizer
{
    /// <summary>Gradient descent (<c>ResourceApplyGradientDescent</c>), or with <see cref="TrainStepAttribute.Momentum"/> (<c>ResourceApplyMomentum</c>, optionally Nesterov).</summary>
    SGD,
    /// <summary>Adam (<c>ResourceApplyAdam</c>), with Keras' bias correction from the step count.</summary>
    Adam,
    /// <summary>Adam with decoupled weight decay (<see cref="TrainStepAttribute.WeightDecay"/> times the learning rate, subtracted before the Adam step, as Keras' AdamW).</summary>
    AdamW,
    /// <summary>RMSProp (<c>ResourceApplyRMSProp</c>).</summary>
    RMSProp,
    /// <summary>Adagrad (<c>ResourceApplyAdagradV2</c>).</summary>
    Adagrad,
}

/// <summary>
/// Makes a graph function that returns a scalar loss a training step, like Keras' <c>train_step</c> after
/// <c>model.compile(optimizer=...)</c>: its compiled form (<c>&lt;Name&gt;Graph</c>) computes the loss, its gradients
/// with respect to every trainable variable the loss depends on (built at compile time from each op's gradient rule),
/// and applies one optimizer step; it returns the loss before the step. The optimizer's state (slots, step count,
/// learning rate) is module variables named as Keras names them (<c>Adam/w/m</c>, <c>Adam/iter</c>,
/// <c>Adam/learning_rate</c>), so checkpoints resume training exactly. Called directly, the method only computes the loss.
/// </summary>
/// <param name="optimizer">The optimizer.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class TrainStepAttribute(Optimizer optimizer = Optimizer.Adam) : Attribute
{
    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>
    /// The optimizer's name, the first part of its variables' names (Keras' <c>name=</c>; the optimizer's own name
    /// unless set). Train steps of one module with the same name share the optimizer's state and must agree on its settings.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>The initial learning rate (a variable, <c>&lt;Optimizer&gt;/learning_rate</c>, that schedules change); Keras' default 0.001 unless set, 0.01 for SGD.</summary>
    public double LearningRate { get; set; } = double.NaN;

    /// <summary>SGD's momentum (0: plain gradient descent) or RMSProp's.</summary>
    public double Momentum { get; set; }

    /// <summary>Nesterov momentum for SGD.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>The small constant added to denominators (Keras' 1e-7).</summary>
    public double Epsilon { get; set; } = 1e-7;

    /// <summary>RMSProp's decay of the mean square.</summary>
    public double Rho { get; set; } = 0.9;

    /// <summary>AdamW's weight decay (Keras' default 0.004).</summary>
    public double WeightDecay { get; set; } = 0.004;

    /// <summary>Adagrad's initial accumulator value.</summary>
    public double InitialAccumulator { get; set; } = 0.1;

    /// <summary>When positive, gradients are scaled so their global norm is at most this (Keras' <c>global_clipnorm</c>).</summary>
    public double ClipNorm { get; set; }
}

/// <summary>
/// Declares that a static method is a composite of ops StaticFlow defines once for graphs and eager calls alike (a
/// Keras loss or metric): in a graph function the generator expands it into those ops; called directly it runs them.
/// Tensor parameters are the composite's inputs; bool and number parameters its options, which must be constants.
/// </summary>
/// <param name="name">The composite's name in StaticFlow's catalogue of composites.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class CompositeAttribute(string name) : Attribute
{
    /// <summary>The composite's name.</summary>
    public string Name { get; } = name;
}
