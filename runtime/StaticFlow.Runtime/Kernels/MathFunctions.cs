using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using Tensor = StaticFlow.Tensors.Tensor;

namespace StaticFlow.Kernels;

// Elementwise math defined by one scalar function each. A function's generic constraint says which dtypes it
// serves, and its registration line below gives the kernel for exactly those: adding such an op is its definition
// in StandardOps, a struct and a line here, an Ops method and a test case.

/// <summary>A function of one floating-point value (float32, float64, float16 kernels).</summary>
internal interface IFloatFunction
{
    static abstract T Apply<T>(T x) where T : IFloatingPointIeee754<T>;
}

/// <summary>A function of one number (every numeric dtype).</summary>
internal interface INumericFunction
{
    static abstract T Apply<T>(T x) where T : INumber<T>;
}

/// <summary>A test of one floating-point value, giving a bool tensor.</summary>
internal interface IFloatPredicate
{
    static abstract bool Apply<T>(T x) where T : IFloatingPointIeee754<T>;
}

/// <summary>A function of two floating-point values, broadcast.</summary>
internal interface IFloatBinaryFunction
{
    static abstract T Apply<T>(T x, T y) where T : IFloatingPointIeee754<T>;
}

/// <summary>A function of two numbers, broadcast.</summary>
internal interface INumericBinaryFunction
{
    static abstract T Apply<T>(T x, T y) where T : INumber<T>;
}

internal static class MathFunctions
{
    public static void Register(KernelRegistrar add)
    {
        FloatUnary<Sin>(add, "Sin");
        FloatUnary<Cos>(add, "Cos");
        FloatUnary<Tan>(add, "Tan");
        FloatUnary<Asin>(add, "Asin");
        FloatUnary<Acos>(add, "Acos");
        FloatUnary<Atan>(add, "Atan");
        FloatUnary<Sinh>(add, "Sinh");
        FloatUnary<Cosh>(add, "Cosh");
        FloatUnary<Asinh>(add, "Asinh");
        FloatUnary<Acosh>(add, "Acosh");
        FloatUnary<Atanh>(add, "Atanh");
        FloatUnary<Floor>(add, "Floor");
        FloatUnary<Ceil>(add, "Ceil");
        FloatUnary<RoundHalfToEven>(add, "Round");
        FloatUnary<RoundHalfToEven>(add, "Rint");
        FloatUnary<Reciprocal>(add, "Reciprocal");
        FloatUnary<Reciprocal>(add, "Inv");
        FloatUnary<Log1p>(add, "Log1p");
        FloatUnary<Expm1>(add, "Expm1");
        FloatUnary<Softsign>(add, "Softsign");
        NumericUnary<Sign>(add, "Sign");
        FloatPredicate<IsInf>(add, "IsInf");
        FloatPredicate<IsFinite>(add, "IsFinite");
        FloatBinary<Atan2>(add, "Atan2");
        FloatBinary<Xlogy>(add, "Xlogy");
        FloatBinary<Xdivy>(add, "Xdivy");
        FloatUnary<Erfc>(add, "Erfc");
        // TensorFlow's gradient ops: (upstream gradient, forward input or output) -> gradient.
        FloatBinary<ReluGrad>(add, "ReluGrad");
        FloatBinary<Relu6Grad>(add, "Relu6Grad");
        FloatBinary<EluGrad>(add, "EluGrad");
        FloatBinary<SeluGrad>(add, "SeluGrad");
        FloatBinary<SoftplusGrad>(add, "SoftplusGrad");
        FloatBinary<SoftsignGrad>(add, "SoftsignGrad");
        FloatBinary<SigmoidGrad>(add, "SigmoidGrad");
        FloatBinary<TanhGrad>(add, "TanhGrad");
        FloatBinary<RsqrtGrad>(add, "RsqrtGrad");
        FloatBinary<SqrtGrad>(add, "SqrtGrad");
        FloatBinary<ReciprocalGrad>(add, "ReciprocalGrad");
        NumericBinary<TruncatedDivision>(add, "TruncateDiv");
        NumericBinary<TruncatedMod>(add, "Mod");
        NumericBinary<TruncatedMod>(add, "TruncateMod");
    }

    private static void FloatUnary<F>(KernelRegistrar add, string op) where F : IFloatFunction =>
        add.Add(op, KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new FloatUnaryFactory<F>()));

    private static void NumericUnary<F>(KernelRegistrar add, string op) where F : INumericFunction =>
        add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new NumericUnaryFactory<F>()));

    private static void FloatPredicate<F>(KernelRegistrar add, string op) where F : IFloatPredicate =>
        add.Add(op, KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new PredicateFactory<F>()));

    private static void FloatBinary<F>(KernelRegistrar add, string op) where F : IFloatBinaryFunction =>
        add.Add(op, KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new FloatBinaryFactory<F>()));

    private static void NumericBinary<F>(KernelRegistrar add, string op) where F : INumericBinaryFunction =>
        add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new NumericBinaryFactory<F>()));

    private sealed class FloatUnaryFactory<F> : ElementwiseKernels.IFloatKernelFactory where F : IFloatFunction
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new UnaryKernel<T, FloatOp<T, F>>();
    }

    private sealed class NumericUnaryFactory<F> : ElementwiseKernels.IKernelFactory where F : INumericFunction
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new UnaryKernel<T, NumericOp<T, F>>();
    }

    private sealed class PredicateFactory<F> : ElementwiseKernels.IFloatKernelFactory where F : IFloatPredicate
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new PredicateKernel<T, F>();
    }

    private sealed class FloatBinaryFactory<F> : ElementwiseKernels.IFloatKernelFactory where F : IFloatBinaryFunction
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new BinaryKernel<T, T, FloatBinaryOp<T, F>>();
    }

    private sealed class NumericBinaryFactory<F> : ElementwiseKernels.IKernelFactory where F : INumericBinaryFunction
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new BinaryKernel<T, T, NumericBinaryOp<T, F>>();
    }

    private struct FloatOp<T, F> : IUnaryOp<T> where T : IFloatingPointIeee754<T> where F : IFloatFunction
    {
        public static T Apply(T x) => F.Apply(x);
    }

    private struct NumericOp<T, F> : IUnaryOp<T> where T : INumber<T> where F : INumericFunction
    {
        public static T Apply(T x) => F.Apply(x);
    }

    private struct FloatBinaryOp<T, F> : IBinaryOp<T, T> where T : IFloatingPointIeee754<T> where F : IFloatBinaryFunction
    {
        public static T Apply(T x, T y) => F.Apply(x, y);
    }

    private struct NumericBinaryOp<T, F> : IBinaryOp<T, T> where T : INumber<T> where F : INumericBinaryFunction
    {
        public static T Apply(T x, T y) => F.Apply(x, y);
    }

    private sealed class PredicateKernel<T, F> : IOpKernel where T : unmanaged, IFloatingPointIeee754<T> where F : IFloatPredicate
    {
        public void Compute(KernelContext context)
        {
            Tensor x = context.Input(0);
            var y = Tensor.Uninitialized(DType.Bool, x.Shape);
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            Span<bool> ys = y.AsSpan<bool>();
            for (int i = 0; i < xs.Length; i++) ys[i] = F.Apply(xs[i]);
            context.SetOutput(0, y);
        }
    }
}

internal struct Sin : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Sin(x); }
internal struct Cos : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Cos(x); }
internal struct Tan : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Tan(x); }
internal struct Asin : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Asin(x); }
internal struct Acos : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Acos(x); }
internal struct Atan : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Atan(x); }
internal struct Sinh : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Sinh(x); }
internal struct Cosh : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Cosh(x); }
internal struct Asinh : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Asinh(x); }
internal struct Acosh : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Acosh(x); }
internal struct Atanh : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Atanh(x); }
internal struct Floor : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Floor(x); }
internal struct Ceil : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Ceiling(x); }

/// <summary>TensorFlow's Round and Rint: halves go to the even neighbour (banker's rounding), 2.5 to 2.</summary>
internal struct RoundHalfToEven : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.Round(x, MidpointRounding.ToEven); }

internal struct Reciprocal : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.One / x; }
internal struct Softsign : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => x / (T.One + T.Abs(x)); }

/// <summary>log(1 + x), accurate for tiny x where 1 + x rounds to 1 (Goldberg's correction, in double precision).</summary>
internal struct Log1p : IFloatFunction
{
    public static T Apply<T>(T x) where T : IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(x), u = 1 + v;
        return T.CreateTruncating(u == 1 ? v : Math.Log(u) * v / (u - 1));
    }
}

/// <summary>e^x - 1, accurate for tiny x (Kahan's correction, in double precision).</summary>
internal struct Expm1 : IFloatFunction
{
    public static T Apply<T>(T x) where T : IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(x), u = Math.Exp(v);
        if (u == 1) return x;
        double um1 = u - 1;
        return T.CreateTruncating(um1 == -1 || double.IsInfinity(u) ? um1 : um1 * v / Math.Log(u));
    }
}

/// <summary>-1, 0 or 1 by the sign of x; NaN stays NaN.</summary>
internal struct Sign : INumericFunction
{
    public static T Apply<T>(T x) where T : INumber<T> => T.IsNaN(x) ? x : T.IsZero(x) ? T.Zero : T.IsNegative(x) ? -T.One : T.One;
}

internal struct IsInf : IFloatPredicate { public static bool Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.IsInfinity(x); }
internal struct IsFinite : IFloatPredicate { public static bool Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.IsFinite(x); }

internal struct Atan2 : IFloatBinaryFunction { public static T Apply<T>(T y, T x) where T : IFloatingPointIeee754<T> => T.Atan2(y, x); }

/// <summary>x · log(y), and 0 where x is 0 (even where y is 0).</summary>
internal struct Xlogy : IFloatBinaryFunction { public static T Apply<T>(T x, T y) where T : IFloatingPointIeee754<T> => T.IsZero(x) && !T.IsNaN(y) ? T.Zero : x * T.Log(y); }

/// <summary>x / y, and 0 where x is 0.</summary>
internal struct Xdivy : IFloatBinaryFunction { public static T Apply<T>(T x, T y) where T : IFloatingPointIeee754<T> => T.IsZero(x) && !T.IsNaN(y) ? T.Zero : x / y; }

/// <summary>Mod and TruncateMod: the remainder of truncated division, with the sign of x (C's fmod and %).</summary>
internal struct TruncatedMod : INumericBinaryFunction
{
    public static T Apply<T>(T x, T y) where T : INumber<T> =>
        T.IsZero(y) && DivOp<T>.IsInteger ? throw new DivideByZeroException("integer division by zero") : x % y;
}

/// <summary>erfc(x) = 1 - erf(x).</summary>
internal struct Erfc : IFloatFunction { public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.CreateChecked(1 - SpecialFunctions.Erf(double.CreateChecked(x))); }

internal struct ReluGrad : IFloatBinaryFunction { public static T Apply<T>(T g, T features) where T : IFloatingPointIeee754<T> => features > T.Zero ? g : T.Zero; }
internal struct Relu6Grad : IFloatBinaryFunction { public static T Apply<T>(T g, T features) where T : IFloatingPointIeee754<T> => features > T.Zero && features < T.CreateChecked(6) ? g : T.Zero; }
internal struct EluGrad : IFloatBinaryFunction { public static T Apply<T>(T g, T outputs) where T : IFloatingPointIeee754<T> => outputs < T.Zero ? g * (outputs + T.One) : g; }

internal struct SeluGrad : IFloatBinaryFunction
{
    public static T Apply<T>(T g, T outputs) where T : IFloatingPointIeee754<T>
    {
        T scale = T.CreateChecked(1.0507009873554804934193349852946), scaleAlpha = T.CreateChecked(1.7580993408473768599402175208123);
        return outputs < T.Zero ? g * (outputs + scaleAlpha) : g * scale;
    }
}

internal struct SoftplusGrad : IFloatBinaryFunction { public static T Apply<T>(T g, T features) where T : IFloatingPointIeee754<T> => g / (T.One + T.Exp(-features)); }
internal struct SoftsignGrad : IFloatBinaryFunction { public static T Apply<T>(T g, T features) where T : IFloatingPointIeee754<T> => g / ((T.One + T.Abs(features)) * (T.One + T.Abs(features))); }
internal struct SigmoidGrad : IFloatBinaryFunction { public static T Apply<T>(T y, T dy) where T : IFloatingPointIeee754<T> => dy * y * (T.One - y); }
internal struct TanhGrad : IFloatBinaryFunction { public static T Apply<T>(T y, T dy) where T : IFloatingPointIeee754<T> => dy * (T.One - y * y); }
internal struct RsqrtGrad : IFloatBinaryFunction { public static T Apply<T>(T y, T dy) where T : IFloatingPointIeee754<T> => dy * y * y * y * T.CreateChecked(-0.5); }
internal struct SqrtGrad : IFloatBinaryFunction { public static T Apply<T>(T y, T dy) where T : IFloatingPointIeee754<T> => dy * T.CreateChecked(0.5) / y; }
internal struct ReciprocalGrad : IFloatBinaryFunction { public static T Apply<T>(T y, T dy) where T : IFloatingPointIeee754<T> => -dy * y * y; }

/// <summary>TruncateDiv: integer division rounding toward zero (C's /); plain division for floats.</summary>
internal struct TruncatedDivision : INumericBinaryFunction
{
    public static T Apply<T>(T x, T y) where T : INumber<T> =>
        T.IsZero(y) && DivOp<T>.IsInteger ? throw new DivideByZeroException("integer division by zero") : x / y;
}
