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

/// <summary>A function of two integers, broadcast (bitwise ops and shifts).</summary>
internal interface IIntegerBinaryFunction
{
    static abstract T Apply<T>(T x, T y) where T : IBinaryInteger<T>;
}

/// <summary>A function of one integer.</summary>
internal interface IIntegerFunction
{
    static abstract T Apply<T>(T x) where T : IBinaryInteger<T>;
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
        FloatBinary<Zeta>(add, "Zeta");
        FloatBinary<Polygamma>(add, "Polygamma");
        FloatBinary<Xlogy>(add, "Xlogy");
        FloatBinary<Xdivy>(add, "Xdivy");
        FloatUnary<Erfc>(add, "Erfc");
        // TensorFlow's gradient ops: (upstream gradient, forward input or output) -> gradient.
        add.Add("ReluGrad", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new ReluGradFactory()));
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
        // TensorFlow 1.x's Div: real division for floats, truncating for integers.
        NumericBinary<TruncatedDivision>(add, "Div");
        FloatBinary<ReciprocalGrad>(add, "InvGrad");
        FloatBinary<Xlog1py>(add, "Xlog1py");
        FloatUnary<Erfinv>(add, "Erfinv");
        FloatUnary<Ndtri>(add, "Ndtri");
        IntegerBinary<BitwiseAnd>(add, "BitwiseAnd");
        IntegerBinary<BitwiseOr>(add, "BitwiseOr");
        IntegerBinary<BitwiseXor>(add, "BitwiseXor");
        IntegerBinary<LeftShift>(add, "LeftShift");
        IntegerBinary<RightShift>(add, "RightShift");
        add.Add("Invert", KernelDTypes.Integer, node => ElementwiseKernels.ByNumericType(node, "T", new IntegerUnaryFactory<Invert>()));
        FloatUnary<Lgamma>(add, "Lgamma");
        FloatUnary<Digamma>(add, "Digamma");
        NumericBinary<TruncatedMod>(add, "Mod");
        NumericBinary<TruncatedMod>(add, "TruncateMod");
    }

    private static void FloatUnary<F>(KernelRegistrar add, string op) where F : IFloatFunction =>
        add.Add(op, KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new FloatUnaryFactory<F>()));

    private static void NumericUnary<F>(KernelRegistrar add, string op) where F : INumericFunction =>
        add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new NumericUnaryFactory<F>()));

    private static void IntegerBinary<F>(KernelRegistrar add, string op) where F : IIntegerBinaryFunction =>
        add.Add(op, KernelDTypes.Integer, node => ElementwiseKernels.ByNumericType(node, "T", new IntegerBinaryFactory<F>()));

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

    /// <summary>Instantiates integer functions; the registration admits integer dtypes only, so a float never reaches here.</summary>
    private sealed class IntegerBinaryFactory<F> : ElementwiseKernels.IKernelFactory where F : IIntegerBinaryFunction
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => IntegerKernels.Binary<T, F>(node);
    }

    private sealed class IntegerUnaryFactory<F> : ElementwiseKernels.IKernelFactory where F : IIntegerFunction
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => IntegerKernels.Unary<T, F>(node);
    }

    private sealed class PredicateFactory<F> : ElementwiseKernels.IFloatKernelFactory where F : IFloatPredicate
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new PredicateKernel<T, F>();
    }

    private sealed class ReluGradFactory : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new ReluGradKernel<T>();
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

/// <summary>The Hurwitz zeta function ζ(x, q).</summary>
internal struct Zeta : IFloatBinaryFunction { public static T Apply<T>(T x, T q) where T : IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.Zeta(double.CreateTruncating(x), double.CreateTruncating(q))); }

/// <summary>The polygamma function ψ⁽ᵃ⁾(x).</summary>
internal struct Polygamma : IFloatBinaryFunction { public static T Apply<T>(T a, T x) where T : IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.Polygamma(double.CreateTruncating(a), double.CreateTruncating(x))); }

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

internal struct BitwiseAnd : IIntegerBinaryFunction { public static T Apply<T>(T x, T y) where T : IBinaryInteger<T> => x & y; }
internal struct BitwiseOr : IIntegerBinaryFunction { public static T Apply<T>(T x, T y) where T : IBinaryInteger<T> => x | y; }
internal struct BitwiseXor : IIntegerBinaryFunction { public static T Apply<T>(T x, T y) where T : IBinaryInteger<T> => x ^ y; }

/// <summary>x shifted left by y bits, y clamped to [0, bits - 1] as TensorFlow's kernel does.</summary>
internal struct LeftShift : IIntegerBinaryFunction
{
    public static T Apply<T>(T x, T y) where T : IBinaryInteger<T> => x << ShiftCount(x, y);

    internal static int ShiftCount<T>(T x, T y) where T : IBinaryInteger<T> =>
        T.IsNegative(y) ? 0 : y >= T.CreateTruncating(x.GetByteCount() * 8 - 1) ? x.GetByteCount() * 8 - 1 : int.CreateTruncating(y);
}

/// <summary>x shifted right by y bits (arithmetic for signed types), y clamped to [0, bits - 1].</summary>
internal struct RightShift : IIntegerBinaryFunction { public static T Apply<T>(T x, T y) where T : IBinaryInteger<T> => x >> LeftShift.ShiftCount(x, y); }

internal struct Invert : IIntegerFunction { public static T Apply<T>(T x) where T : IBinaryInteger<T> => ~x; }

/// <summary>log |Γ(x)| by the Lanczos approximation (g = 7, nine terms) and the reflection formula below 1/2.</summary>
internal struct Lgamma : IFloatFunction
{
    public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.LogGamma(double.CreateTruncating(x)));
}

/// <summary>ψ(x), the derivative of log Γ: recurrence up to x ≥ 10, then the asymptotic series; reflection for x &lt; 0.</summary>
internal struct Digamma : IFloatFunction
{
    public static T Apply<T>(T x) where T : IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.Digamma(double.CreateTruncating(x)));
}

/// <summary>Runs integer functions on the integer dtypes (the generic numeric factories cannot name IBinaryInteger).</summary>
internal static class IntegerKernels
{
    public static IOpKernel Binary<T, F>(GraphNode node) where F : IIntegerBinaryFunction => KernelDTypes.ClrInteger(typeof(T)) switch
    {
        DType.Int8 => new BinaryKernel<sbyte, sbyte, BinaryOf<sbyte, F>>(),
        DType.Int16 => new BinaryKernel<short, short, BinaryOf<short, F>>(),
        DType.Int32 => new BinaryKernel<int, int, BinaryOf<int, F>>(),
        DType.Int64 => new BinaryKernel<long, long, BinaryOf<long, F>>(),
        DType.UInt8 => new BinaryKernel<byte, byte, BinaryOf<byte, F>>(),
        DType.UInt16 => new BinaryKernel<ushort, ushort, BinaryOf<ushort, F>>(),
        DType.UInt32 => new BinaryKernel<uint, uint, BinaryOf<uint, F>>(),
        DType.UInt64 => new BinaryKernel<ulong, ulong, BinaryOf<ulong, F>>(),
        _ => throw new KernelNotFoundException(node.Name, node.Op, $"no kernel for {typeof(T).Name}: integer types only"),
    };

    public static IOpKernel Unary<T, F>(GraphNode node) where F : IIntegerFunction => KernelDTypes.ClrInteger(typeof(T)) switch
    {
        DType.Int8 => new UnaryKernel<sbyte, UnaryOf<sbyte, F>>(),
        DType.Int16 => new UnaryKernel<short, UnaryOf<short, F>>(),
        DType.Int32 => new UnaryKernel<int, UnaryOf<int, F>>(),
        DType.Int64 => new UnaryKernel<long, UnaryOf<long, F>>(),
        DType.UInt8 => new UnaryKernel<byte, UnaryOf<byte, F>>(),
        DType.UInt16 => new UnaryKernel<ushort, UnaryOf<ushort, F>>(),
        DType.UInt32 => new UnaryKernel<uint, UnaryOf<uint, F>>(),
        DType.UInt64 => new UnaryKernel<ulong, UnaryOf<ulong, F>>(),
        _ => throw new KernelNotFoundException(node.Name, node.Op, $"no kernel for {typeof(T).Name}: integer types only"),
    };

    private struct BinaryOf<T, F> : IBinaryOp<T, T> where T : IBinaryInteger<T> where F : IIntegerBinaryFunction
    {
        public static T Apply(T x, T y) => F.Apply(x, y);
    }

    private struct UnaryOf<T, F> : IUnaryOp<T> where T : IBinaryInteger<T> where F : IIntegerFunction
    {
        public static T Apply(T x) => F.Apply(x);
    }
}

/// <summary>x · log(1 + y), and 0 where x is 0.</summary>
internal struct Xlog1py : IFloatBinaryFunction { public static T Apply<T>(T x, T y) where T : IFloatingPointIeee754<T> => T.IsZero(x) && !T.IsNaN(y) ? T.Zero : x * Log1p.Apply(y); }

/// <summary>The inverse error function: ±∞ at ±1, NaN outside [-1, 1].</summary>
internal struct Erfinv : IFloatFunction { public static T Apply<T>(T y) where T : IFloatingPointIeee754<T> => T.CreateTruncating(SpecialFunctions.Erfinv(double.CreateTruncating(y))); }

/// <summary>The inverse of the standard normal CDF: √2 · erfinv(2p - 1).</summary>
internal struct Ndtri : IFloatFunction { public static T Apply<T>(T p) where T : IFloatingPointIeee754<T> => T.CreateTruncating(Math.Sqrt(2) * SpecialFunctions.Erfinv(2 * double.CreateTruncating(p) - 1)); }
