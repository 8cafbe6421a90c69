// repr() of a float as Python (and numpy's float64 str()) writes it: the shortest digits that read back to the
// same double (JavaScript finds the same digits), positional when the decimal exponent is in [-4, 16), else
// scientific with a signed, at least two-digit exponent; a whole number keeps ".0". pandas parses MMLU's numeric
// choice columns to float64 and open-instruct formats them with "{}".format, so "2" in such a column reads "2.0".

export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without digits gives the shortest round-trip digits: "d.ddde+N".
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exp);
  if (exponent >= -4 && exponent < 16) {
    const decimalPoint = exponent + 1; // digits before the decimal point
    if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
    if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
    return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
