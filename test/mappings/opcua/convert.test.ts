import { describe, expect, it } from 'vitest';
import { BUILT_IN, convertVariant, dataValueToSample, severityOf } from '../../../mappings/opcua/convert.ts';

const T = BUILT_IN;

describe('convertVariant: OPC UA built-ins → JSON', () => {
  const cases: [string, number, unknown, unknown][] = [
    ['Boolean', T.Boolean, false, false],
    ['SByte', T.SByte, -128, -128],
    ['UInt32', T.UInt32, 4294967295, 4294967295],
    ['Int64 small negative', T.Int64, [0xffffffff, 0xfffffffe], -2],
    ['Int64 2^53-1 stays a number', T.Int64, [0x1fffff, 0xffffffff], 9007199254740991],
    ['Int64 2^53 becomes a string', T.Int64, [0x200000, 0], '9007199254740992'],
    ['Int64 minimum', T.Int64, [0x80000000, 0], '-9223372036854775808'],
    ['UInt64 maximum', T.UInt64, [0xffffffff, 0xffffffff], '18446744073709551615'],
    ['UInt64 from bigint', T.UInt64, 5n, 5],
    ['Float', T.Float, 0.5, 0.5],
    ['String', T.String, 'x', 'x'],
    ['null String', T.String, null, ''],
    ['DateTime', T.DateTime, new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), '2024-01-02T03:04:05.006Z'],
    ['ByteString', T.ByteString, Buffer.from('hi'), 'aGk='],
    ['LocalizedText', T.LocalizedText, { text: 'Stopped', locale: 'en' }, 'Stopped'],
    ['StatusCode', T.StatusCode, { value: 0x80340000 }, 0x80340000],
    ['Guid', T.Guid, '72962b91-fa75-4ae6-8d28-b404dc7daf63', '72962b91-fa75-4ae6-8d28-b404dc7daf63'],
  ];
  for (const [name, dataType, raw, expected] of cases) {
    it(name, () => {
      expect(convertVariant({ dataType, value: raw })).toEqual({ ok: true, value: expected });
    });
  }

  it('arrays and typed arrays convert element by element', () => {
    expect(convertVariant({ dataType: T.Double, arrayType: 1, value: new Float64Array([1, 2.5]) })).toEqual({
      ok: true,
      value: [1, 2.5],
    });
    expect(
      convertVariant({
        dataType: T.UInt64,
        arrayType: 1,
        value: [
          [0, 1],
          [0xffffffff, 0xffffffff],
        ],
      }),
    ).toEqual({
      ok: true,
      value: [1, '18446744073709551615'],
    });
  });

  it('rejects what JSON cannot carry, naming the problem', () => {
    expect(convertVariant({ dataType: T.Double, value: Number.NaN })).toEqual({
      ok: false,
      error: 'Double value NaN is not a finite number',
    });
    expect(convertVariant({ dataType: T.Float, arrayType: 1, value: [1, Number.POSITIVE_INFINITY] })).toEqual(
      {
        ok: false,
        error: 'element [1]: Float value Infinity is not a finite number',
      },
    );
    expect(convertVariant({ dataType: 22, value: {} })).toEqual({
      ok: false,
      error: 'built-in type 22 values are not supported',
    });
    expect(convertVariant({ dataType: T.Int32, value: 'x' })).toEqual({
      ok: false,
      error: 'Int32 expected, got string x',
    });
  });
});

describe('dataValueToSample: quality, code and timestamp', () => {
  const source = new Date(1_700_000_000_000);
  const options = { useSourceTimestamp: true, scaler: undefined };

  it('Good → good, with the source timestamp', () => {
    const sample = dataValueToSample(
      't',
      { value: { dataType: T.Int16, value: 7 }, statusCode: { value: 0 }, sourceTimestamp: source },
      5,
      options,
    );
    expect(sample).toEqual({ tag: 't', value: 7, quality: 'good', ts: 1_700_000_000_000 });
  });

  it('uses the receive time when told to, or when there is no source timestamp', () => {
    const dv = { value: { dataType: T.Int16, value: 7 }, statusCode: { value: 0 }, sourceTimestamp: source };
    expect(dataValueToSample('t', dv, 5, { useSourceTimestamp: false }).ts).toBe(5);
    expect(dataValueToSample('t', { ...dv, sourceTimestamp: null }, 5, options).ts).toBe(5);
  });

  it('Uncertain and Bad → bad with the code kept; a non-zero Good code is kept on a good sample', () => {
    const uncertain = dataValueToSample(
      't',
      {
        value: { dataType: T.Int16, value: 7 },
        statusCode: { value: 0x40920000, name: 'UncertainLastUsableValue' },
      },
      5,
      options,
    );
    expect(uncertain).toEqual({
      tag: 't',
      value: null,
      quality: 'bad',
      ts: 5,
      error: 'OPC UA status UncertainLastUsableValue (0x40920000)',
      code: 0x40920000,
    });
    const badNode = dataValueToSample(
      't',
      { value: null, statusCode: { value: 0x80340000, name: 'BadNodeIdUnknown' } },
      5,
      options,
    );
    expect(badNode).toMatchObject({
      quality: 'bad',
      code: 0x80340000,
      error: 'OPC UA status BadNodeIdUnknown (0x80340000)',
    });
    const clamped = dataValueToSample(
      't',
      { value: { dataType: T.Int16, value: 7 }, statusCode: { value: 0x00300000 } },
      5,
      options,
    );
    expect(clamped).toEqual({ tag: 't', value: 7, quality: 'good', ts: 5, code: 0x00300000 });
  });

  it('applies the scaler to numbers, arrays and big 64-bit values', () => {
    const scaler = (raw: number) => raw / 10;
    expect(
      dataValueToSample('t', { value: { dataType: T.Int16, value: 125 } }, 5, {
        useSourceTimestamp: true,
        scaler,
      }).value,
    ).toBe(12.5);
    expect(
      dataValueToSample('t', { value: { dataType: T.Int32, arrayType: 1, value: [10, 20] } }, 5, {
        useSourceTimestamp: true,
        scaler,
      }).value,
    ).toEqual([1, 2]);
    expect(
      dataValueToSample('t', { value: { dataType: T.UInt64, value: [0x200000, 0] } }, 5, {
        useSourceTimestamp: true,
        scaler,
      }).value,
    ).toBe(900719925474099.2);
    expect(
      dataValueToSample('t', { value: { dataType: T.String, value: '10' } }, 5, {
        useSourceTimestamp: true,
        scaler,
      }).value,
    ).toBe('10');
  });

  it('severity from the top two bits', () => {
    expect([0, 0x40000000, 0x80000000, 0xc0000000].map(severityOf)).toEqual([
      'good',
      'uncertain',
      'bad',
      'bad',
    ]);
  });
});
