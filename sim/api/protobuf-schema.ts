/**
 * The declarative shape of Kubernetes protobuf messages, shared by the decoder of request bodies (protobuf.ts)
 * and the encoder of responses (protobuf-encode.ts): a message is a table {field number: [JSON name, type]}.
 *
 * Field numbers come from kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
 * (ObjectMeta, OwnerReference, ListMeta, LabelSelector, Time) and pkg/runtime/generated.proto (TypeMeta).
 */

export type Field = [name: string, type: FieldType];
export type Schema = Record<number, Field>;
export type FieldType =
  /** string, wire type 2 */
  | 'string'
  /** int32 / int64, varint (negative numbers as 10-byte two's complement, as proto2 does) */
  | 'int'
  | 'bool'
  /** bytes; base64 in JSON */
  | 'bytes'
  /** metav1.Time {1 seconds, 2 nanos}; RFC 3339 in JSON */
  | 'time'
  /** repeated string */
  | 'strings'
  /** repeated int32 / int64, one varint field per element (proto2 without [packed]) */
  | 'ints'
  /** map<string, string>: repeated {1 key, 2 value} */
  | 'map'
  /** map<string, bytes>: values base64 in JSON */
  | 'bytesmap'
  /** intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal}; a number or a string in JSON */
  | 'intorstr'
  /** resource.Quantity {1 string}; a string in JSON */
  | 'quantity'
  /** map<string, Quantity> (resources.requests, limits) */
  | 'quantitymap'
  | { msg: Schema }
  | { list: Schema }
  /**
   * An embedded Go struct whose JSON fields sit in the parent object while protobuf nests them as one message
   * (Probe.handler = ProbeHandler, Volume.volumeSource = VolumeSource, the LocalObjectReference of a
   * ConfigMapVolumeSource); the field name is only a label.
   */
  | { inline: Schema };

export const TIME: Schema = { 1: ['seconds', 'int'], 2: ['nanos', 'int'] };

/** runtime.TypeMeta of the envelope (not metav1.TypeMeta, whose numbers are the other way round) */
export const TYPE_META: Schema = { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] };

export const OWNER_REFERENCE: Schema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};

/**
 * metav1.ObjectMeta. managedFields (17) is left out on purpose: its entry's field numbers could not be checked
 * against the upstream file here, so an object carrying it is refused by the encoder (JSON is served instead).
 */
export const OBJECT_META: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  4: ['selfLink', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', 'time'],
  9: ['deletionTimestamp', 'time'],
  10: ['deletionGracePeriodSeconds', 'int'],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  13: ['ownerReferences', { list: OWNER_REFERENCE }],
  14: ['finalizers', 'strings'],
};

export const LIST_META: Schema = {
  1: ['selfLink', 'string'],
  2: ['resourceVersion', 'string'],
  3: ['continue', 'string'],
  4: ['remainingItemCount', 'int'],
};

export const LABEL_SELECTOR: Schema = {
  1: ['matchLabels', 'map'],
  2: ['matchExpressions', { list: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'strings'] } }],
};
