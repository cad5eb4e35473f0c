using StaticFlow.Checkpoints;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.SavedModels;

/// <summary>
/// TensorFlow 2's <c>SavedObjectGraph</c> of a graph module: the module tree of its variable paths (node ids equal
/// to those of the checkpoint's <c>TrackableObjectGraph</c>, as TF2 requires), a <c>SavedFunction</c> child per graph
/// function with a concrete function (named by the function; a function named <c>Call</c> is also <c>__call__</c>),
/// each concrete function's bound inputs (its variables' nodes) and signatures, and a <c>signatures</c> map.
/// </summary>
internal static class ModuleObjectGraph
{
    public static SavedObjectGraph Build(GraphModuleDefinition definition)
    {
        var tree = ObjectGraph.Build(definition.Variables.Select(v => v.Name));
        var graph = new SavedObjectGraph();
        var nodeOfVariable = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tree.Nodes.Count; id++)
        {
            var trackable = tree.Nodes[id];
            var saved = new SavedObject { Children = { trackable.Children.Select(c => c.Clone()) } };
            var attribute = trackable.Attributes.FirstOrDefault(a => a.Name == ObjectGraph.VariableValue);
            if (attribute is not null && definition.Variables.FirstOrDefault(v => v.Name == attribute.FullName) is { } variable)
            {
                saved.Variable = new SavedVariable
                {
                    Dtype = variable.DType.ToProto(),
                    Shape = new TensorShape(variable.Shape).ToProto(),
                    Trainable = variable.Trainable,
                    Name = variable.Name,
                };
                nodeOfVariable[variable.Name] = id;
            }
            else saved.UserObject = UserObject("_generic_user_object");
            graph.Nodes.Add(saved);
        }

        var signatureMap = new SavedObject { UserObject = UserObject("signature_map") };
        foreach (var function in definition.Functions)
        {
            if (function.ConcreteFunction is not { } concrete) continue;
            var captured = function.CapturedVariables ?? [];
            graph.ConcreteFunctions[concrete] = new SavedConcreteFunction
            {
                BoundInputs = { captured.Select(name => nodeOfVariable[name]) },
                // (args, kwargs): the inputs in order, no keyword arguments, as TensorFlow canonicalizes them.
                CanonicalizedInputSignature = Tuple(Tuple([.. function.Inputs.Select(Spec)]), new StructuredValue { DictValue = new DictValue() }),
                OutputSignature = function.Outputs.Length == 1 ? Spec(function.Outputs[0]) : Tuple([.. function.Outputs.Select(Spec)]),
            };
            int node = graph.Nodes.Count;
            graph.Nodes.Add(new SavedObject
            {
                Function = new SavedFunction
                {
                    ConcreteFunctions = { concrete },
                    FunctionSpec = new FunctionSpec
                    {
                        Fullargspec = FullArgSpec(function),
                        InputSignature = Tuple([.. function.Inputs.Select(Spec)]),
                    },
                },
            });
            graph.Nodes[0].Children.Add(Reference(node, function.Name));
            if (function.Name == "Call") graph.Nodes[0].Children.Add(Reference(node, "__call__"));
            if (function.SignatureKey is { } key)
            {
                int bare = graph.Nodes.Count;
                graph.Nodes.Add(new SavedObject
                {
                    BareConcreteFunction = new SavedBareConcreteFunction { ConcreteFunctionName = concrete, ArgumentKeywords = { function.Inputs.Select(i => i.Name) } },
                });
                signatureMap.Children.Add(Reference(bare, key));
            }
        }
        int signatures = graph.Nodes.Count;
        graph.Nodes.Add(signatureMap);
        graph.Nodes[0].Children.Add(Reference(signatures, "signatures"));
        return graph;
    }

    private static SavedUserObject UserObject(string identifier) =>
        new() { Identifier = identifier, Version = new VersionDef { Producer = 1, MinConsumer = 1 } };

    private static TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference Reference(int node, string name) => new() { NodeId = node, LocalName = name };

    private static StructuredValue Spec(GraphTensorInfo info) => new()
    {
        TensorSpecValue = new TensorSpecProto { Name = info.Name, Dtype = info.DType.ToProto(), Shape = info.StaticShape.ToProto() },
    };

    private static StructuredValue Tuple(params StructuredValue[] values)
    {
        var tuple = new TupleValue();
        tuple.Values.AddRange(values);
        return new StructuredValue { TupleValue = tuple };
    }

    /// <summary>inspect.FullArgSpec of a function taking its inputs positionally, as TensorFlow records it.</summary>
    private static StructuredValue FullArgSpec(GraphFunctionInfo function)
    {
        var fields = new StructuredValue { DictValue = new DictValue() };
        StructuredValue Names(IEnumerable<string> names) => new() { ListValue = new ListValue { Values = { names.Select(n => new StructuredValue { StringValue = n }) } } };
        var none = new StructuredValue { NoneValue = new NoneValue() };
        var tuple = new NamedTupleValue { Name = "FullArgSpec" };
        tuple.Values.Add(new PairValue { Key = "args", Value = Names(function.Inputs.Select(i => i.Name)) });
        tuple.Values.Add(new PairValue { Key = "varargs", Value = none });
        tuple.Values.Add(new PairValue { Key = "varkw", Value = none });
        tuple.Values.Add(new PairValue { Key = "defaults", Value = none });
        tuple.Values.Add(new PairValue { Key = "kwonlyargs", Value = Names([]) });
        tuple.Values.Add(new PairValue { Key = "kwonlydefaults", Value = none });
        tuple.Values.Add(new PairValue { Key = "annotations", Value = fields });
        return new StructuredValue { NamedTupleValue = tuple };
    }
}
