/**
 * Field numbers and enums of onnx.proto (IR version 10), as far as this reader and the writer
 * need them. Names follow the .proto file so they can be checked against it line by line.
 */

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

export const ModelField = {
  ir_version: 1,
  producer_name: 2,
  producer_version: 3,
  domain: 4,
  model_version: 5,
  doc_string: 6,
  graph: 7,
  opset_import: 8,
  metadata_props: 14,
  training_info: 20,
  functions: 25,
} as const;

export const OperatorSetIdField = { domain: 1, version: 2 } as const;
export const StringStringEntryField = { key: 1, value: 2 } as const;

export const GraphField = {
  node: 1,
  name: 2,
  initializer: 5,
  doc_string: 10,
  input: 11,
  output: 12,
  value_info: 13,
  quantization_annotation: 14,
  sparse_initializer: 15,
  metadata_props: 16,
} as const;

export const NodeField = {
  input: 1,
  output: 2,
  name: 3,
  op_type: 4,
  attribute: 5,
  doc_string: 6,
  domain: 7,
  overload: 8,
  metadata_props: 9,
} as const;

export const AttributeField = {
  name: 1,
  f: 2,
  i: 3,
  s: 4,
  t: 5,
  g: 6,
  floats: 7,
  ints: 8,
  strings: 9,
  tensors: 10,
  graphs: 11,
  doc_string: 13,
  tp: 14,
  type_protos: 15,
  type: 20,
  ref_attr_name: 21,
  sparse_tensor: 22,
  sparse_tensors: 23,
} as const;

export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** The value kinds of AttributeType FLOAT (1) … GRAPHS (10), in code order: `kind = ATTRIBUTE_KINDS[type - FLOAT]`. */
export const ATTRIBUTE_KINDS = ['float', 'int', 'string', 'tensor', 'graph', 'floats', 'ints', 'strings', 'tensors', 'graphs'] as const;

export const ValueInfoField = { name: 1, type: 2, doc_string: 3, metadata_props: 4 } as const;

export const TypeField = {
  tensor_type: 1,
  sequence_type: 4,
  map_type: 5,
  denotation: 6,
  sparse_tensor_type: 8,
  optional_type: 9,
} as const;
export const TypeTensorField = { elem_type: 1, shape: 2 } as const;
export const TensorShapeField = { dim: 1 } as const;
export const DimensionField = { dim_value: 1, dim_param: 2, denotation: 3 } as const;

export const TensorField = {
  dims: 1,
  data_type: 2,
  segment: 3,
  float_data: 4,
  int32_data: 5,
  string_data: 6,
  int64_data: 7,
  name: 8,
  raw_data: 9,
  double_data: 10,
  uint64_data: 11,
  doc_string: 12,
  external_data: 13,
  data_location: 14,
  metadata_props: 16,
} as const;

export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
} as const;

const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]),
);

export function dataTypeName(t: number): string {
  return DATA_TYPE_NAMES[t] ?? `type${t}`;
}

/** Bits per element, or 0 when not fixed-size (string, undefined). */
export function dataTypeBits(t: number): number {
  switch (t) {
    case DataType.FLOAT:
    case DataType.INT32:
    case DataType.UINT32:
      return 32;
    case DataType.DOUBLE:
    case DataType.INT64:
    case DataType.UINT64:
    case DataType.COMPLEX64:
      return 64;
    case DataType.COMPLEX128:
      return 128;
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
    case DataType.INT16:
    case DataType.UINT16:
      return 16;
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.BOOL:
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT8E8M0:
      return 8;
    case DataType.UINT4:
    case DataType.INT4:
    case DataType.FLOAT4E2M1:
      return 4;
    default:
      return 0;
  }
}

export function isFloatType(t: number): boolean {
  return (
    t === DataType.FLOAT ||
    t === DataType.DOUBLE ||
    t === DataType.FLOAT16 ||
    t === DataType.BFLOAT16 ||
    (t >= DataType.FLOAT8E4M3FN && t <= DataType.FLOAT8E5M2FNUZ) ||
    t === DataType.FLOAT4E2M1 ||
    t === DataType.FLOAT8E8M0
  );
}
