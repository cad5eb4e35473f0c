using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    /// <summary>
    /// Appends a <c>[TrainStep]</c>'s update to the graph: the loss's gradients for every trainable float variable it
    /// depends on, optional clipping by global norm, one resource apply op per variable (its slots made as module
    /// variables under Keras' names) and the step count's increment; the function's outputs wait for all of them.
    /// </summary>
    private bool LowerTrainStep(TrainStepModel train, Value loss)
    {
        var at = _info.Syntax.Identifier.Parent!;
        if (loss.Shape is null || loss.Shape.Length != 0)
        {
            Fail(GraphDiagnostics.InvalidGraphFunction, at, _info.Method.Name,
                $"a [TrainStep] returns a scalar loss, but this one has the shape {(loss.Shape is null ? "<unknown>" : ShapeRules.Format(loss.Shape))}; reduce it with Ops.Mean");
            return false;
        }
        var trainable = _module.Variables.Values
            .Where(v => v.Trainable && !v.IsOptimizerState && v.DType == loss.DType && _forward.VariableReads.ContainsKey(v.Name))
            .ToList();
        var groups = trainable.Select(v => (v.Name, _forward.VariableReads[v.Name])).ToList();
        if (groups.Count == 0)
        {
            Fail(GraphDiagnostics.GradientNotBuilt, at, _info.Method.Name, "the loss reads no trainable variable, so there is nothing to train");
            return false;
        }
        var values = BuildGradients(loss, groups, at, "loss", requireEach: false);
        if (values is null) return false;
        var gradients = values.Select(v => v is null ? null : Built(v)).ToList();
        // Updates wait for the loss, so every read the loss makes sees the variables before the step.
        string lossNode = NodeOf(loss.Reference!);

        var builder = new LoweringOpBuilder(this, at);
        string dtype = loss.DType;
        _nameScopes.Add(train.Name);
        try
        {
            if (train.ClipNorm > 0) gradients = ClipByGlobalNorm(builder, gradients, train.ClipNorm);
            var learningRate = _module.AddOptimizerVariable(train.Name + "/learning_rate", dtype, Array.Empty<long>(), train.LearningRate);
            var iterations = _module.AddOptimizerVariable(train.Name + "/iter", "int64", Array.Empty<long>(), 0);
            BuiltTensor lr = Built(ReadVariable(learningRate, at));
            BuiltTensor Hyper(double value) => builder.Scalar(dtype, value);

            // Adam's bias correction from the step about to be taken (Keras: local_step = iterations + 1).
            BuiltTensor? beta1Power = null, beta2Power = null;
            if (train.Optimizer is "Adam" or "AdamW")
            {
                var step = builder.Cast(builder.Add(Built(ReadVariable(iterations, at)), builder.Scalar("int64", 1)), dtype);
                beta1Power = builder.Op("Pow", Hyper(train.Beta1), step);
                beta2Power = builder.Op("Pow", Hyper(train.Beta2), step);
            }

            var applies = new List<string>();
            for (int i = 0; i < trainable.Count; i++)
            {
                if (gradients[i] is not { } gradient) continue; // the loss does not depend on it: Keras skips it too
                var variable = trainable[i];
                string Slot(string slot, double fill = 0) =>
                    VariableHandle(_module.AddOptimizerVariable($"{train.Name}/{variable.Name}/{slot}", dtype, variable.Shape.ToArray(), fill).Name);
                string handle = VariableHandle(variable.Name);
                var control = new List<string> { lossNode };
                if (train.Optimizer == "AdamW")
                {
                    // Decoupled weight decay, before the Adam step: w -= lr * wd * w.
                    var decay = builder.Mul(builder.Mul(lr, Hyper(train.WeightDecay)), Built(ReadVariable(variable, at)));
                    control.Add(AddApply("AssignSubVariableOp", new[] { handle, (string)decay.Handle }, dtype, "dtype", new[] { lossNode }));
                }
                string apply = train.Optimizer switch
                {
                    "SGD" when train.Momentum == 0 => AddApply("ResourceApplyGradientDescent", new[] { handle, Ref(lr), Ref(gradient) }, dtype, control: control),
                    "SGD" => AddApply("ResourceApplyMomentum", new[] { handle, Slot("momentum"), Ref(lr), Ref(gradient), Ref(Hyper(train.Momentum)) }, dtype,
                        control: control, extra: Attrs.Bool("use_nesterov", train.Nesterov)),
                    "Adam" or "AdamW" => AddApply("ResourceApplyAdam", new[]
                    {
                        handle, Slot("m"), Slot("v"), Ref(beta1Power!), Ref(beta2Power!), Ref(lr), Ref(Hyper(train.Beta1)), Ref(Hyper(train.Beta2)),
                        Ref(Hyper(train.Epsilon)), Ref(gradient),
                    }, dtype, control: control),
                    "RMSProp" => AddApply("ResourceApplyRMSProp", new[]
                    {
                        handle, Slot("rms"), Slot("momentum"), Ref(lr), Ref(Hyper(train.Rho)), Ref(Hyper(train.Momentum)), Ref(Hyper(train.Epsilon)), Ref(gradient),
                    }, dtype, control: control),
                    _ => AddApply("ResourceApplyAdagradV2", new[] { handle, Slot("accumulator", train.InitialAccumulator), Ref(lr), Ref(Hyper(train.Epsilon)), Ref(gradient) }, dtype, control: control),
                };
                applies.Add(apply);
                _written.Add(variable.Name);
            }
            string increment = AddApply("AssignAddVariableOp", new[] { VariableHandle(iterations.Name), Ref(builder.Scalar("int64", 1)) }, "int64", "dtype", applies);
            _stateNodes.Add(increment);
            foreach (var variable in _module.Variables.Values.Where(v => v.IsOptimizerState && v.Name.StartsWith(train.Name + "/", StringComparison.Ordinal)))
                if (variable.Name != learningRate.Name) _written.Add(variable.Name);
            return true;
        }
        catch (OpBuildException e)
        {
            if (e.Message != AlreadyReported) Fail(GraphDiagnostics.GradientNotBuilt, at, "loss", e.Message);
            _failed = true;
            return false;
        }
        finally
        {
            _nameScopes.RemoveAt(_nameScopes.Count - 1);
        }
    }

    private static string Ref(BuiltTensor tensor) => (string)tensor.Handle;

    /// <summary>The node of a module-graph tensor reference (<c>node</c> or <c>node:1</c>).</summary>
    private static string NodeOf(string reference) => reference.IndexOf(':') is var colon and >= 0 ? reference.Substring(0, colon) : reference;

    /// <summary>Adds a stateful update node (inputs given as references, then control inputs) and returns its name.</summary>
    private string AddApply(string op, string[] inputs, string dtype, string typeAttr = "T", IEnumerable<string>? control = null, AttrModel? extra = null)
    {
        string node = _graph.UniqueName(Scope, op);
        var attrs = new List<AttrModel> { Attrs.Type(typeAttr, dtype) };
        if (extra is not null) attrs.Add(extra);
        AddRawNode(node, op, inputs.Concat((control ?? Enumerable.Empty<string>()).Select(c => "^" + c)), attrs);
        return node;
    }

    /// <summary>Keras' <c>global_clipnorm</c>: every gradient times clip / max(global norm, clip).</summary>
    private static List<BuiltTensor?> ClipByGlobalNorm(OpBuilder b, List<BuiltTensor?> gradients, double clipNorm)
    {
        var squares = new List<BuiltTensor>();
        foreach (var gradient in gradients)
        {
            if (gradient is null) continue;
            long rank = gradient.Shape?.Length ?? throw new OpBuildException("clipping by norm needs the rank of every gradient");
            squares.Add(b.Sum(b.Op("Square", gradient), Enumerable.Range(0, (int)rank).Select(a => (long)a).ToArray()));
        }
        string dtype = squares[0].DType;
        var total = squares.Count == 1 ? squares[0] : b.Emit("AddN", new[] { squares.ToArray() }, Array.Empty<BuiltAttr>())[0];
        var norm = b.Op("Sqrt", total);
        var clip = b.Scalar(dtype, clipNorm);
        var scale = b.Div(clip, b.Op("Maximum", norm, clip));
        return gradients.Select(g => g is null ? null : b.Mul(g, scale)).ToList();
    }
}
