using System.Numerics;

namespace StaticFlow.Kernels;

// The scalar definition of every elementwise op, as TensorFlow computes it. Kernels inline these through
// static abstract interface calls; float32 kernels use TensorPrimitives where it has the same function.

internal struct AddOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => x + y; }
internal struct SubOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => x - y; }
internal struct MulOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => x * y; }

internal struct DivOp<T> : IBinaryOp<T, T> where T : INumber<T>
{
    // Integer division by zero is an error in TensorFlow too; name it rather than crash.
    public static T Apply(T x, T y) => T.IsZero(y) && IsInteger ? throw new DivideByZeroException("integer division by zero") : x / y;

    // T.IsInteger(T.One) is true for floats too (1.0 is integral); a half that truncates to zero is not.
    internal static readonly bool IsInteger = T.IsZero(T.One / (T.One + T.One));
}

internal struct DivNoNanOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => T.IsZero(y) ? T.Zero : x / y; }

internal struct FloorDivOp<T> : IBinaryOp<T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        if (DivOp<T>.IsInteger)
        {
            if (T.IsZero(y)) throw new DivideByZeroException("integer division by zero");
            T q = x / y;
            // Round toward negative infinity, like Python's //.
            return !T.IsZero(x % y) && (T.IsNegative(x) != T.IsNegative(y)) ? q - T.One : q;
        }
        return T.CreateChecked(Math.Floor(double.CreateChecked(x) / double.CreateChecked(y)));
    }
}

internal struct FloorModOp<T> : IBinaryOp<T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        if (DivOp<T>.IsInteger)
        {
            if (T.IsZero(y)) throw new DivideByZeroException("integer division by zero");
            T r = x % y;
            return !T.IsZero(r) && (T.IsNegative(r) != T.IsNegative(y)) ? r + y : r;
        }
        double a = double.CreateChecked(x), b = double.CreateChecked(y);
        double m = a - Math.Floor(a / b) * b;
        return T.CreateChecked(m);
    }
}

internal struct MaxOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => T.IsNaN(x) || T.IsNaN(y) ? (T.IsNaN(x) ? x : y) : T.Max(x, y); }
internal struct MinOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => T.IsNaN(x) || T.IsNaN(y) ? (T.IsNaN(x) ? x : y) : T.Min(x, y); }

internal struct PowOp<T> : IBinaryOp<T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        if (DivOp<T>.IsInteger)
        {
            if (T.IsNegative(y)) throw new ArgumentException("integers to negative integer powers are not allowed");
            T result = T.One, b = x;
            for (T e = y; !T.IsZero(e); e /= T.CreateChecked(2))
            {
                if (!T.IsZero(e % T.CreateChecked(2))) result *= b;
                b *= b;
            }
            return result;
        }
        return T.CreateChecked(Math.Pow(double.CreateChecked(x), double.CreateChecked(y)));
    }
}

internal struct SquaredDifferenceOp<T> : IBinaryOp<T, T> where T : INumber<T> { public static T Apply(T x, T y) => (x - y) * (x - y); }

internal struct EqualOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T x, T y) => x == y; }
internal struct NotEqualOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T x, T y) => x != y; }
internal struct LessOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T x, T y) => x < y; }
internal struct LessEqualOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T x, T y) => x <= y; }
internal struct GreaterOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T x, T y) => x > y; }
internal struct GreaterEqualOp<T> : IBinaryOp<T, bool> where T : INumber<T> { public static bool Apply(T x, T y) => x >= y; }

internal struct NegOp<T> : IUnaryOp<T> where T : INumber<T> { public static T Apply(T x) => -x; }
internal struct AbsOp<T> : IUnaryOp<T> where T : INumber<T> { public static T Apply(T x) => T.Abs(x); }
internal struct SquareOp<T> : IUnaryOp<T> where T : INumber<T> { public static T Apply(T x) => x * x; }

internal struct ExpOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.Exp(x); }
internal struct LogOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.Log(x); }
internal struct SqrtOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.Sqrt(x); }
internal struct RsqrtOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.One / T.Sqrt(x); }
internal struct TanhOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.Tanh(x); }
internal struct SigmoidOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.One / (T.One + T.Exp(-x)); }
internal struct ReluOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => x > T.Zero ? x : (T.IsNaN(x) ? x : T.Zero); }
internal struct Relu6Op<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.Min(T.Max(x, T.Zero), T.CreateChecked(6)); }
internal struct EluOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => x < T.Zero ? T.Exp(x) - T.One : x; }

internal struct SeluOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    private static readonly T Alpha = T.CreateChecked(1.6732632423543772848170429916717);
    private static readonly T Scale = T.CreateChecked(1.0507009873554804934193349852946);
    public static T Apply(T x) => x < T.Zero ? Scale * Alpha * (T.Exp(x) - T.One) : Scale * x;
}

internal struct SoftplusOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T>
{
    // log(1 + e^x) without overflow for large x or loss of precision for very negative x.
    public static T Apply(T x) => x > T.CreateChecked(20) ? x : T.CreateChecked(Math.Log(1 + Math.Exp(double.CreateChecked(x))));
}

internal struct ErfOp<T> : IUnaryOp<T> where T : IFloatingPointIeee754<T> { public static T Apply(T x) => T.CreateChecked(SpecialFunctions.Erf(double.CreateChecked(x))); }

/// <summary>Functions .NET's Math lacks.</summary>
internal static class SpecialFunctions
{
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>erf⁻¹(y): Giles's single-precision approximation refined by Newton steps on <see cref="Erf"/> to double precision.</summary>
    public static double Erfinv(double y)
    {
        if (double.IsNaN(y) || y < -1 || y > 1) return double.NaN;
        if (y == 1) return double.PositiveInfinity;
        if (y == -1) return double.NegativeInfinity;
        double w = -Math.Log((1 - y) * (1 + y)), x;
        if (w < 5)
        {
            w -= 2.5;
            x = 2.81022636e-08;
            foreach (double c in new[] { 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941 }) x = c + x * w;
        }
        else
        {
            w = Math.Sqrt(w) - 3;
            x = -0.000200214257;
            foreach (double c in new[] { 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682 }) x = c + x * w;
        }
        x *= y;
        // Newton on erf(x) - y, whose derivative is 2/√π · e^(-x²); two steps take the 1e-7 start to double precision.
        for (int step = 0; step < 3; step++)
        {
            double slope = 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x);
            if (slope == 0) break;
            x -= (Erf(x) - y) / slope;
        }
        return x;
    }

    /// <summary>log |Γ(x)| to about 1e-13 (Lanczos, g = 7); +∞ at the poles (0, -1, -2, ...).</summary>
    public static double LogGamma(double x)
    {
        if (double.IsNaN(x)) return x;
        if (double.IsInfinity(x)) return double.PositiveInfinity;
        if (x <= 0 && x == Math.Floor(x)) return double.PositiveInfinity;
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0], t = x + 7.5;
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>ψ(x) to about 1e-13; NaN at the poles (0, -1, -2, ...), as TensorFlow returns.</summary>
    public static double Digamma(double x)
    {
        if (double.IsNaN(x) || x == double.NegativeInfinity) return double.NaN;
        if (x <= 0 && x == Math.Floor(x)) return double.NaN;
        if (x < 0) return Digamma(1 - x) - Math.PI / Math.Tan(Math.PI * x);
        double result = 0;
        while (x < 10) { result -= 1 / x; x += 1; }
        double f = 1 / (x * x);
        return result + Math.Log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
    }

    // Euler-Maclaurin coefficients (2k)!/B_2k of the Hurwitz zeta tail, as Cephes' zeta.c (which TensorFlow's Zeta uses) has them.
    private static readonly double[] ZetaTail =
    [
        12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10, -2.950130727918164224e12,
        1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18,
    ];

    /// <summary>
    /// The Hurwitz zeta function ζ(x, q) = Σₖ (q + k)^-x (TensorFlow's Zeta): Cephes' Euler-Maclaurin summation. Infinite
    /// at x = 1 and at the poles q = 0, -1, ...; NaN for x &lt; 1 and for a negative q with a non-integer x.
    /// </summary>
    public static double Zeta(double x, double q)
    {
        if (double.IsNaN(x) || double.IsNaN(q)) return double.NaN;
        if (x == 1) return double.PositiveInfinity;
        if (x < 1) return double.NaN;
        if (q <= 0)
        {
            if (q == Math.Floor(q)) return double.PositiveInfinity;
            if (x != Math.Floor(x)) return double.NaN;
        }
        double sum = Math.Pow(q, -x), a = q, b = 0;
        int i = 0;
        while (i < 9 || a <= 9)
        {
            i++;
            a += 1;
            b = Math.Pow(a, -x);
            sum += b;
            if (Math.Abs(b / sum) < 1.1e-16) return sum;
        }
        double w = a;
        sum += b * w / (x - 1) - 0.5 * b;
        double factor = 1, k = 0;
        for (i = 0; i < ZetaTail.Length; i++)
        {
            factor *= x + k;
            b /= w;
            double term = factor * b / ZetaTail[i];
            sum += term;
            if (Math.Abs(term / sum) < 1.1e-16) break;
            k += 1;
            factor *= x + k;
            b /= w;
            k += 1;
        }
        return sum;
    }

    /// <summary>The polygamma function ψ⁽ⁿ⁾(x) (TensorFlow's Polygamma): digamma for n = 0, (-1)ⁿ⁺¹ n! ζ(n + 1, x) above; NaN for a negative or fractional n.</summary>
    public static double Polygamma(double n, double x)
    {
        if (double.IsNaN(n) || n < 0 || n != Math.Floor(n)) return double.NaN;
        if (n == 0) return Digamma(x);
        double factorial = 1;
        for (int k = 2; k <= n; k++) factorial *= k;
        return (n % 2 == 0 ? -1 : 1) * factorial * Zeta(n + 1, x);
    }

    /// <summary>The error function to about 1e-15: Maclaurin series near zero, Lentz's continued fraction for erfc beyond.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            double sum = x, term = x, x2 = x * x;
            for (int n = 1; n < 100; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        if (ax > 6) return Math.Sign(x);
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
        double tiny = 1e-300, f = ax, c = ax, d = 0;
        for (int n = 1; n < 200; n++)
        {
            double a = n / 2.0;
            d = ax + a * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = ax + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return Math.Sign(x) * (1 - erfc);
    }
}
