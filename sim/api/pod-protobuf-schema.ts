/**
 * v1 Pod and PodList as protobuf messages (see protobuf-schema.ts for the notation). Field numbers from
 * kubernetes/kubernetes staging/src/k8s.io/api/core/v1/generated.proto (the same file as kubernetes/api
 * core/v1/generated.proto). Covered: every field the sim's controllers, kubelet and scenarios put on pods, and
 * the common PodSpec / Container / PodStatus fields. Left out (an object using one is refused by the encoder,
 * never silently cut): the cloud / legacy volume sources, ephemeral volumes, windowsOptions, workloadRef,
 * ContainerStatus.allocatedResourcesStatus and VolumeMountStatus.volumeStatus.
 */
import { LABEL_SELECTOR, LIST_META, OBJECT_META, type Schema } from './protobuf-schema.ts';

const LOCAL_OBJECT_REFERENCE: Schema = { 1: ['name', 'string'] };
const KEY_TO_PATH: Schema = { 1: ['key', 'string'], 2: ['path', 'string'], 3: ['mode', 'int'] };
const OBJECT_FIELD_SELECTOR: Schema = { 1: ['apiVersion', 'string'], 2: ['fieldPath', 'string'] };
const RESOURCE_FIELD_SELECTOR: Schema = { 1: ['containerName', 'string'], 2: ['resource', 'string'], 3: ['divisor', 'quantity'] };
/** ConfigMapKeySelector and SecretKeySelector */
const KEY_SELECTOR: Schema = {
  1: ['localObjectReference', { inline: LOCAL_OBJECT_REFERENCE }],
  2: ['key', 'string'],
  3: ['optional', 'bool'],
};
/** ConfigMapEnvSource and SecretEnvSource */
const ENV_SOURCE: Schema = { 1: ['localObjectReference', { inline: LOCAL_OBJECT_REFERENCE }], 2: ['optional', 'bool'] };

const ENV_VAR: Schema = {
  1: ['name', 'string'],
  2: ['value', 'string'],
  3: [
    'valueFrom',
    {
      msg: {
        1: ['fieldRef', { msg: OBJECT_FIELD_SELECTOR }],
        2: ['resourceFieldRef', { msg: RESOURCE_FIELD_SELECTOR }],
        3: ['configMapKeyRef', { msg: KEY_SELECTOR }],
        4: ['secretKeyRef', { msg: KEY_SELECTOR }],
        5: ['fileKeyRef', { msg: { 1: ['volumeName', 'string'], 2: ['path', 'string'], 3: ['key', 'string'], 4: ['optional', 'bool'] } }],
      },
    },
  ],
};

const RESOURCE_REQUIREMENTS: Schema = {
  1: ['limits', 'quantitymap'],
  2: ['requests', 'quantitymap'],
  3: ['claims', { list: { 1: ['name', 'string'], 2: ['request', 'string'] } }],
};

const EXEC_ACTION: Schema = { 1: ['command', 'strings'] };
const HTTP_GET_ACTION: Schema = {
  1: ['path', 'string'],
  2: ['port', 'intorstr'],
  3: ['host', 'string'],
  4: ['scheme', 'string'],
  5: ['httpHeaders', { list: { 1: ['name', 'string'], 2: ['value', 'string'] } }],
};
const TCP_SOCKET_ACTION: Schema = { 1: ['port', 'intorstr'], 2: ['host', 'string'] };

const PROBE: Schema = {
  1: [
    'handler',
    {
      inline: {
        1: ['exec', { msg: EXEC_ACTION }],
        2: ['httpGet', { msg: HTTP_GET_ACTION }],
        3: ['tcpSocket', { msg: TCP_SOCKET_ACTION }],
        4: ['grpc', { msg: { 1: ['port', 'int'], 2: ['service', 'string'] } }],
      },
    },
  ],
  2: ['initialDelaySeconds', 'int'],
  3: ['timeoutSeconds', 'int'],
  4: ['periodSeconds', 'int'],
  5: ['successThreshold', 'int'],
  6: ['failureThreshold', 'int'],
  7: ['terminationGracePeriodSeconds', 'int'],
};

const LIFECYCLE_HANDLER: Schema = {
  1: ['exec', { msg: EXEC_ACTION }],
  2: ['httpGet', { msg: HTTP_GET_ACTION }],
  3: ['tcpSocket', { msg: TCP_SOCKET_ACTION }],
  4: ['sleep', { msg: { 1: ['seconds', 'int'] } }],
};

const SE_LINUX_OPTIONS: Schema = { 1: ['user', 'string'], 2: ['role', 'string'], 3: ['type', 'string'], 4: ['level', 'string'] };
/** SeccompProfile and AppArmorProfile */
const PROFILE: Schema = { 1: ['type', 'string'], 2: ['localhostProfile', 'string'] };

const SECURITY_CONTEXT: Schema = {
  1: ['capabilities', { msg: { 1: ['add', 'strings'], 2: ['drop', 'strings'] } }],
  2: ['privileged', 'bool'],
  3: ['seLinuxOptions', { msg: SE_LINUX_OPTIONS }],
  4: ['runAsUser', 'int'],
  5: ['runAsNonRoot', 'bool'],
  6: ['readOnlyRootFilesystem', 'bool'],
  7: ['allowPrivilegeEscalation', 'bool'],
  8: ['runAsGroup', 'int'],
  9: ['procMount', 'string'],
  11: ['seccompProfile', { msg: PROFILE }],
  12: ['appArmorProfile', { msg: PROFILE }],
  13: ['ulimits', { list: { 1: ['name', 'string'], 2: ['hard', 'int'], 3: ['soft', 'int'] } }],
};

/** Container; EphemeralContainerCommon has the same field numbers */
const CONTAINER: Schema = {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', 'strings'],
  4: ['args', 'strings'],
  5: ['workingDir', 'string'],
  6: [
    'ports',
    {
      list: {
        1: ['name', 'string'],
        2: ['hostPort', 'int'],
        3: ['containerPort', 'int'],
        4: ['protocol', 'string'],
        5: ['hostIP', 'string'],
      },
    },
  ],
  7: ['env', { list: ENV_VAR }],
  8: ['resources', { msg: RESOURCE_REQUIREMENTS }],
  9: [
    'volumeMounts',
    {
      list: {
        1: ['name', 'string'],
        2: ['readOnly', 'bool'],
        3: ['mountPath', 'string'],
        4: ['subPath', 'string'],
        5: ['mountPropagation', 'string'],
        6: ['subPathExpr', 'string'],
        7: ['recursiveReadOnly', 'string'],
      },
    },
  ],
  10: ['livenessProbe', { msg: PROBE }],
  11: ['readinessProbe', { msg: PROBE }],
  12: [
    'lifecycle',
    { msg: { 1: ['postStart', { msg: LIFECYCLE_HANDLER }], 2: ['preStop', { msg: LIFECYCLE_HANDLER }], 3: ['stopSignal', 'string'] } },
  ],
  13: ['terminationMessagePath', 'string'],
  14: ['imagePullPolicy', 'string'],
  15: ['securityContext', { msg: SECURITY_CONTEXT }],
  16: ['stdin', 'bool'],
  17: ['stdinOnce', 'bool'],
  18: ['tty', 'bool'],
  19: ['envFrom', { list: { 1: ['prefix', 'string'], 2: ['configMapRef', { msg: ENV_SOURCE }], 3: ['secretRef', { msg: ENV_SOURCE }] } }],
  20: ['terminationMessagePolicy', 'string'],
  21: ['volumeDevices', { list: { 1: ['name', 'string'], 2: ['devicePath', 'string'] } }],
  22: ['startupProbe', { msg: PROBE }],
  23: ['resizePolicy', { list: { 1: ['resourceName', 'string'], 2: ['restartPolicy', 'string'] } }],
  24: ['restartPolicy', 'string'],
  25: [
    'restartPolicyRules',
    { list: { 1: ['action', 'string'], 2: ['exitCodes', { msg: { 1: ['operator', 'string'], 2: ['values', 'ints'] } }] } },
  ],
};

const DOWNWARD_API_FILE: Schema = {
  1: ['path', 'string'],
  2: ['fieldRef', { msg: OBJECT_FIELD_SELECTOR }],
  3: ['resourceFieldRef', { msg: RESOURCE_FIELD_SELECTOR }],
  4: ['mode', 'int'],
};

/** ConfigMapProjection and SecretProjection */
const OBJECT_PROJECTION: Schema = {
  1: ['localObjectReference', { inline: LOCAL_OBJECT_REFERENCE }],
  2: ['items', { list: KEY_TO_PATH }],
  4: ['optional', 'bool'],
};

const VOLUME_SOURCE: Schema = {
  1: ['hostPath', { msg: { 1: ['path', 'string'], 2: ['type', 'string'] } }],
  2: ['emptyDir', { msg: { 1: ['medium', 'string'], 2: ['sizeLimit', 'quantity'] } }],
  6: [
    'secret',
    { msg: { 1: ['secretName', 'string'], 2: ['items', { list: KEY_TO_PATH }], 3: ['defaultMode', 'int'], 4: ['optional', 'bool'] } },
  ],
  7: ['nfs', { msg: { 1: ['server', 'string'], 2: ['path', 'string'], 3: ['readOnly', 'bool'] } }],
  10: ['persistentVolumeClaim', { msg: { 1: ['claimName', 'string'], 2: ['readOnly', 'bool'] } }],
  16: ['downwardAPI', { msg: { 1: ['items', { list: DOWNWARD_API_FILE }], 2: ['defaultMode', 'int'] } }],
  19: [
    'configMap',
    {
      msg: {
        1: ['localObjectReference', { inline: LOCAL_OBJECT_REFERENCE }],
        2: ['items', { list: KEY_TO_PATH }],
        3: ['defaultMode', 'int'],
        4: ['optional', 'bool'],
      },
    },
  ],
  26: [
    'projected',
    {
      msg: {
        1: [
          'sources',
          {
            list: {
              1: ['secret', { msg: OBJECT_PROJECTION }],
              2: ['downwardAPI', { msg: { 1: ['items', { list: DOWNWARD_API_FILE }] } }],
              3: ['configMap', { msg: OBJECT_PROJECTION }],
              4: ['serviceAccountToken', { msg: { 1: ['audience', 'string'], 2: ['expirationSeconds', 'int'], 3: ['path', 'string'] } }],
            },
          },
        ],
        2: ['defaultMode', 'int'],
      },
    },
  ],
  28: [
    'csi',
    {
      msg: {
        1: ['driver', 'string'],
        2: ['readOnly', 'bool'],
        3: ['fsType', 'string'],
        4: ['volumeAttributes', 'map'],
        5: ['nodePublishSecretRef', { msg: LOCAL_OBJECT_REFERENCE }],
      },
    },
  ],
  30: ['image', { msg: { 1: ['reference', 'string'], 2: ['pullPolicy', 'string'] } }],
};

const NODE_SELECTOR_REQUIREMENT: Schema = { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'strings'] };
const NODE_SELECTOR_TERM: Schema = {
  1: ['matchExpressions', { list: NODE_SELECTOR_REQUIREMENT }],
  2: ['matchFields', { list: NODE_SELECTOR_REQUIREMENT }],
};
const POD_AFFINITY_TERM: Schema = {
  1: ['labelSelector', { msg: LABEL_SELECTOR }],
  2: ['namespaces', 'strings'],
  3: ['topologyKey', 'string'],
  4: ['namespaceSelector', { msg: LABEL_SELECTOR }],
  5: ['matchLabelKeys', 'strings'],
  6: ['mismatchLabelKeys', 'strings'],
};
/** PodAffinity and PodAntiAffinity */
const POD_AFFINITY: Schema = {
  1: ['requiredDuringSchedulingIgnoredDuringExecution', { list: POD_AFFINITY_TERM }],
  2: [
    'preferredDuringSchedulingIgnoredDuringExecution',
    { list: { 1: ['weight', 'int'], 2: ['podAffinityTerm', { msg: POD_AFFINITY_TERM }] } },
  ],
};
const AFFINITY: Schema = {
  1: [
    'nodeAffinity',
    {
      msg: {
        1: ['requiredDuringSchedulingIgnoredDuringExecution', { msg: { 1: ['nodeSelectorTerms', { list: NODE_SELECTOR_TERM }] } }],
        2: [
          'preferredDuringSchedulingIgnoredDuringExecution',
          { list: { 1: ['weight', 'int'], 2: ['preference', { msg: NODE_SELECTOR_TERM }] } },
        ],
      },
    },
  ],
  2: ['podAffinity', { msg: POD_AFFINITY }],
  3: ['podAntiAffinity', { msg: POD_AFFINITY }],
};

const POD_SECURITY_CONTEXT: Schema = {
  1: ['seLinuxOptions', { msg: SE_LINUX_OPTIONS }],
  2: ['runAsUser', 'int'],
  3: ['runAsNonRoot', 'bool'],
  4: ['supplementalGroups', 'ints'],
  5: ['fsGroup', 'int'],
  6: ['runAsGroup', 'int'],
  7: ['sysctls', { list: { 1: ['name', 'string'], 2: ['value', 'string'] } }],
  9: ['fsGroupChangePolicy', 'string'],
  10: ['seccompProfile', { msg: PROFILE }],
  11: ['appArmorProfile', { msg: PROFILE }],
  12: ['supplementalGroupsPolicy', 'string'],
  13: ['seLinuxChangePolicy', 'string'],
};

export const POD_SPEC: Schema = {
  1: ['volumes', { list: { 1: ['name', 'string'], 2: ['volumeSource', { inline: VOLUME_SOURCE }] } }],
  2: ['containers', { list: CONTAINER }],
  3: ['restartPolicy', 'string'],
  4: ['terminationGracePeriodSeconds', 'int'],
  5: ['activeDeadlineSeconds', 'int'],
  6: ['dnsPolicy', 'string'],
  7: ['nodeSelector', 'map'],
  8: ['serviceAccountName', 'string'],
  9: ['serviceAccount', 'string'],
  10: ['nodeName', 'string'],
  11: ['hostNetwork', 'bool'],
  12: ['hostPID', 'bool'],
  13: ['hostIPC', 'bool'],
  14: ['securityContext', { msg: POD_SECURITY_CONTEXT }],
  15: ['imagePullSecrets', { list: LOCAL_OBJECT_REFERENCE }],
  16: ['hostname', 'string'],
  17: ['subdomain', 'string'],
  18: ['affinity', { msg: AFFINITY }],
  19: ['schedulerName', 'string'],
  20: ['initContainers', { list: CONTAINER }],
  21: ['automountServiceAccountToken', 'bool'],
  22: [
    'tolerations',
    {
      list: {
        1: ['key', 'string'],
        2: ['operator', 'string'],
        3: ['value', 'string'],
        4: ['effect', 'string'],
        5: ['tolerationSeconds', 'int'],
      },
    },
  ],
  23: ['hostAliases', { list: { 1: ['ip', 'string'], 2: ['hostnames', 'strings'] } }],
  24: ['priorityClassName', 'string'],
  25: ['priority', 'int'],
  26: [
    'dnsConfig',
    {
      msg: {
        1: ['nameservers', 'strings'],
        2: ['searches', 'strings'],
        3: ['options', { list: { 1: ['name', 'string'], 2: ['value', 'string'] } }],
      },
    },
  ],
  27: ['shareProcessNamespace', 'bool'],
  28: ['readinessGates', { list: { 1: ['conditionType', 'string'] } }],
  29: ['runtimeClassName', 'string'],
  30: ['enableServiceLinks', 'bool'],
  31: ['preemptionPolicy', 'string'],
  32: ['overhead', 'quantitymap'],
  33: [
    'topologySpreadConstraints',
    {
      list: {
        1: ['maxSkew', 'int'],
        2: ['topologyKey', 'string'],
        3: ['whenUnsatisfiable', 'string'],
        4: ['labelSelector', { msg: LABEL_SELECTOR }],
        5: ['minDomains', 'int'],
        6: ['nodeAffinityPolicy', 'string'],
        7: ['nodeTaintsPolicy', 'string'],
        8: ['matchLabelKeys', 'strings'],
      },
    },
  ],
  34: ['ephemeralContainers', { list: { 1: ['ephemeralContainerCommon', { inline: CONTAINER }], 2: ['targetContainerName', 'string'] } }],
  35: ['setHostnameAsFQDN', 'bool'],
  36: ['os', { msg: { 1: ['name', 'string'] } }],
  37: ['hostUsers', 'bool'],
  38: ['schedulingGates', { list: { 1: ['name', 'string'] } }],
  39: [
    'resourceClaims',
    { list: { 1: ['name', 'string'], 3: ['resourceClaimName', 'string'], 4: ['resourceClaimTemplateName', 'string'] } },
  ],
  40: ['resources', { msg: RESOURCE_REQUIREMENTS }],
  41: ['hostnameOverride', 'string'],
};

const CONTAINER_STATE: Schema = {
  1: ['waiting', { msg: { 1: ['reason', 'string'], 2: ['message', 'string'] } }],
  2: ['running', { msg: { 1: ['startedAt', 'time'] } }],
  3: [
    'terminated',
    {
      msg: {
        1: ['exitCode', 'int'],
        2: ['signal', 'int'],
        3: ['reason', 'string'],
        4: ['message', 'string'],
        5: ['startedAt', 'time'],
        6: ['finishedAt', 'time'],
        7: ['containerID', 'string'],
      },
    },
  ],
};

const CONTAINER_STATUS: Schema = {
  1: ['name', 'string'],
  2: ['state', { msg: CONTAINER_STATE }],
  3: ['lastState', { msg: CONTAINER_STATE }],
  4: ['ready', 'bool'],
  5: ['restartCount', 'int'],
  6: ['image', 'string'],
  7: ['imageID', 'string'],
  8: ['containerID', 'string'],
  9: ['started', 'bool'],
  10: ['allocatedResources', 'quantitymap'],
  11: ['resources', { msg: RESOURCE_REQUIREMENTS }],
  12: [
    'volumeMounts',
    { list: { 1: ['name', 'string'], 2: ['mountPath', 'string'], 3: ['readOnly', 'bool'], 4: ['recursiveReadOnly', 'string'] } },
  ],
  13: ['user', { msg: { 1: ['linux', { msg: { 1: ['uid', 'int'], 2: ['gid', 'int'], 3: ['supplementalGroups', 'ints'] } }] } }],
  15: ['stopSignal', 'string'],
};

const IP: Schema = { 1: ['ip', 'string'] };

export const POD_STATUS: Schema = {
  1: ['phase', 'string'],
  2: [
    'conditions',
    {
      list: {
        1: ['type', 'string'],
        2: ['status', 'string'],
        3: ['lastProbeTime', 'time'],
        4: ['lastTransitionTime', 'time'],
        5: ['reason', 'string'],
        6: ['message', 'string'],
        7: ['observedGeneration', 'int'],
      },
    },
  ],
  3: ['message', 'string'],
  4: ['reason', 'string'],
  5: ['hostIP', 'string'],
  6: ['podIP', 'string'],
  7: ['startTime', 'time'],
  8: ['containerStatuses', { list: CONTAINER_STATUS }],
  9: ['qosClass', 'string'],
  10: ['initContainerStatuses', { list: CONTAINER_STATUS }],
  11: ['nominatedNodeName', 'string'],
  12: ['podIPs', { list: IP }],
  13: ['ephemeralContainerStatuses', { list: CONTAINER_STATUS }],
  14: ['resize', 'string'],
  15: ['resourceClaimStatuses', { list: { 1: ['name', 'string'], 2: ['resourceClaimName', 'string'] } }],
  16: ['hostIPs', { list: IP }],
  17: ['observedGeneration', 'int'],
  19: ['allocatedResources', 'quantitymap'],
  20: ['resources', { msg: RESOURCE_REQUIREMENTS }],
};

export const POD: Schema = { 1: ['metadata', { msg: OBJECT_META }], 2: ['spec', { msg: POD_SPEC }], 3: ['status', { msg: POD_STATUS }] };

export const POD_LIST: Schema = { 1: ['metadata', { msg: LIST_META }], 2: ['items', { list: POD }] };
