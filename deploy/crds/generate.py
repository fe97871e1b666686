#!/usr/bin/env python3
"""Writes Joinery's CustomResourceDefinitions for karpenter.sh/v1 NodePool and NodeClaim and
karpenter.k8s.aws/v1 EC2NodeClass into this directory.

The schemas follow Karpenter's v1 API (field names, defaults, enums, patterns, printer columns) so
Karpenter manifests apply unchanged; they are written independently from the reference in
docs and src/joinery/api/types.h. Shared pieces (requirements, taints, conditions, quantities) are
defined once here so the two karpenter.sh CRDs cannot drift apart.

Compatibility notes:
  * Schemas are structural and use only OpenAPI features that Kubernetes 1.16+ understands, so the
    1.20 control plane of scripts/local-cluster.sh serves them (defaults, pruning, int-or-string,
    list-type map).
  * CEL rules (x-kubernetes-validations) mirror Karpenter's main ones. API servers older than 1.25
    drop them silently; apply with `kubectl apply --validate=false` there, because kubectl's client
    side validation does not know the field on those servers.
  * Condition entries require only `type` and `status` (Karpenter also requires reason, message and
    lastTransitionTime). Joinery always writes all of them; the looser schema keeps an older writer
    from being rejected wholesale.

Usage: python3 deploy/crds/generate.py   (needs PyYAML: apt-get install python3-yaml)
"""

import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- Patterns ---------------------------------------------------------------------------------

# Kubernetes resource.Quantity.
QUANTITY_PATTERN = (r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                    r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
# A qualified name: optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
QUALIFIED_NAME_PATTERN = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                          r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
# Go durations restricted to hours, minutes and seconds, as Karpenter accepts them.
DURATION_PATTERN = r"^([0-9]+(s|m|h))+$"
DURATION_OR_NEVER_PATTERN = r"^(([0-9]+(s|m|h))+|Never)$"
CONDITION_TYPE_PATTERN = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                          r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$")
CONDITION_REASON_PATTERN = r"^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?)?$"

# karpenter.k8s.aws labels a NodePool may constrain (aws pkg/apis/v1/labels.go).
AWS_WELL_KNOWN_LABELS = [
    "karpenter.k8s.aws/ec2nodeclass",
    "karpenter.k8s.aws/instance-category",
    "karpenter.k8s.aws/instance-family",
    "karpenter.k8s.aws/instance-generation",
    "karpenter.k8s.aws/instance-size",
    "karpenter.k8s.aws/instance-cpu",
    "karpenter.k8s.aws/instance-cpu-manufacturer",
    "karpenter.k8s.aws/instance-cpu-sustained-clock-speed-mhz",
    "karpenter.k8s.aws/instance-memory",
    "karpenter.k8s.aws/instance-ebs-bandwidth",
    "karpenter.k8s.aws/instance-network-bandwidth",
    "karpenter.k8s.aws/instance-gpu-name",
    "karpenter.k8s.aws/instance-gpu-manufacturer",
    "karpenter.k8s.aws/instance-gpu-count",
    "karpenter.k8s.aws/instance-gpu-memory",
    "karpenter.k8s.aws/instance-accelerator-name",
    "karpenter.k8s.aws/instance-accelerator-manufacturer",
    "karpenter.k8s.aws/instance-accelerator-count",
    "karpenter.k8s.aws/instance-local-nvme",
    "karpenter.k8s.aws/instance-hypervisor",
    "karpenter.k8s.aws/instance-encryption-in-transit-supported",
    "karpenter.k8s.aws/instance-capability-flex",
    "karpenter.k8s.aws/instance-tenancy",
    "karpenter.k8s.aws/capacity-reservation-id",
    "karpenter.k8s.aws/capacity-reservation-type",
    "karpenter.k8s.aws/capacity-reservation-interruptible",
    "karpenter.k8s.aws/placement-group-id",
    "karpenter.k8s.aws/placement-group-partition",
]


def cel(rule, message):
    return {"rule": rule, "message": message}


def quoted_list(items):
    return "[" + ", ".join("'%s'" % i for i in items) + "]"


# ---- Shared schema pieces ---------------------------------------------------------------------

def quantity():
    return {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": QUANTITY_PATTERN,
        "x-kubernetes-int-or-string": True,
    }


def resource_list(description):
    return {"type": "object", "description": description, "additionalProperties": quantity()}


def string_map(description, **extra):
    schema = {"type": "object", "description": description,
              "additionalProperties": {"type": "string"}}
    schema.update(extra)
    return schema


def label_key_rules(allow_nodepool_label):
    """CEL rules restricting label and requirement keys to domains Karpenter lets users set."""
    allowed = ["karpenter.sh/capacity-type"]
    if allow_nodepool_label:
        allowed.append("karpenter.sh/nodepool")
    rules = [
        cel("self in %s || !self.find(\"^([^/]+)\").endsWith(\"karpenter.sh\")" % quoted_list(allowed),
            'label domain "karpenter.sh" is restricted'),
        cel("self in %s || !self.find(\"^([^/]+)\").endsWith(\"karpenter.k8s.aws\")"
            % quoted_list(AWS_WELL_KNOWN_LABELS),
            'label domain "karpenter.k8s.aws" is restricted'),
        cel("self != \"kubernetes.io/hostname\"", 'label "kubernetes.io/hostname" is restricted'),
    ]
    if not allow_nodepool_label:
        rules.append(cel("self != \"karpenter.sh/nodepool\"",
                         'label "karpenter.sh/nodepool" is restricted'))
    return rules


def taints(description):
    return {
        "type": "array",
        "description": description,
        "items": {
            "type": "object",
            "description": "A core/v1 Taint.",
            "required": ["key", "effect"],
            "properties": {
                "key": {"type": "string", "minLength": 1, "pattern": QUALIFIED_NAME_PATTERN},
                "value": {"type": "string", "pattern": LABEL_VALUE_PATTERN},
                "effect": {"type": "string", "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
                "timeAdded": {"type": "string", "format": "date-time"},
            },
        },
    }


def requirements(allow_nodepool_label):
    return {
        "type": "array",
        "description": ("Node selector requirements every node launched from this object satisfies. "
                        "Operators Gte and Lte extend the core set."),
        "maxItems": 100,
        "items": {
            "type": "object",
            "required": ["key", "operator"],
            "properties": {
                "key": {
                    "type": "string",
                    "maxLength": 316,
                    "pattern": QUALIFIED_NAME_PATTERN,
                    "x-kubernetes-validations": label_key_rules(allow_nodepool_label),
                },
                "operator": {
                    "type": "string",
                    "enum": ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"],
                },
                "values": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE_PATTERN},
                    "x-kubernetes-list-type": "atomic",
                },
                "minValues": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 50,
                    "description": "The least number of distinct values the launch must keep open.",
                },
            },
            "x-kubernetes-validations": [
                cel("self.operator != 'In' || (has(self.values) && size(self.values) > 0)",
                    "requirements with operator 'In' must have a value defined"),
                cel("!(self.operator in ['Gt', 'Lt', 'Gte', 'Lte']) || (has(self.values) && "
                    "size(self.values) == 1 && self.values[0].matches('^[0-9]+$'))",
                    "requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive "
                    "integer value"),
                cel("!has(self.minValues) || self.operator != 'In' || "
                    "(has(self.values) && size(self.values) >= self.minValues)",
                    "requirements with 'minValues' must have at least that many values specified in "
                    "the 'values' field"),
            ],
        },
    }


def node_class_ref():
    return {
        "type": "object",
        "description": "The provider-specific node class this object launches with.",
        "required": ["group", "kind", "name"],
        "properties": {
            "group": {"type": "string", "minLength": 1, "pattern": r"^[^/]*$"},
            "kind": {"type": "string", "minLength": 1},
            "name": {"type": "string", "minLength": 1},
        },
    }


def conditions():
    return {
        "type": "array",
        "description": "Status conditions; the root condition is Ready.",
        "items": {
            "type": "object",
            "required": ["type", "status"],
            "properties": {
                "type": {"type": "string", "maxLength": 316, "pattern": CONDITION_TYPE_PATTERN},
                "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                "reason": {"type": "string", "maxLength": 1024, "pattern": CONDITION_REASON_PATTERN},
                "message": {"type": "string", "maxLength": 32768},
                "lastTransitionTime": {"type": "string", "format": "date-time"},
                "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
            },
        },
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
    }


def expire_after():
    return {
        "type": "string",
        "default": "720h",
        "pattern": DURATION_OR_NEVER_PATTERN,
        "description": "How long a node lives before it is replaced, or Never.",
    }


def termination_grace_period():
    return {
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": "The longest a node may take to drain once deletion starts; unset waits forever.",
    }


def crd(group, kind, plural, singular, short_names, versions_schema, columns, scale=None):
    subresources = {"status": {}}
    if scale:
        subresources["scale"] = scale
    names = {"kind": kind, "listKind": kind + "List", "plural": plural, "singular": singular,
             "categories": ["karpenter"]}
    if short_names:
        names["shortNames"] = short_names
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": "%s.%s" % (plural, group),
            "labels": {"app.kubernetes.io/part-of": "joinery"},
        },
        "spec": {
            "group": group,
            "names": names,
            "scope": "Cluster",
            "versions": [{
                "name": "v1",
                "served": True,
                "storage": True,
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": versions_schema},
                "subresources": subresources,
            }],
        },
    }


def column(name, type_, path, priority=0, description=None):
    c = {"name": name, "type": type_, "jsonPath": path}
    if priority:
        c["priority"] = priority
    if description:
        c["description"] = description
    return c


def top_level(description, spec, status, required=("spec",), validations=None):
    schema = {
        "type": "object",
        "description": description,
        "required": list(required),
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }
    if validations:
        schema["x-kubernetes-validations"] = validations
    return schema


AGE = column("Age", "date", ".metadata.creationTimestamp")
READY = column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status')


# ---- NodePool ---------------------------------------------------------------------------------

def nodepool():
    budget = {
        "type": "object",
        "description": "How many nodes of the pool may be disrupted at once, optionally on a schedule.",
        "required": ["nodes"],
        "properties": {
            "nodes": {"type": "string", "default": "10%",
                      "pattern": r"^((100|[0-9]{1,2})%|[0-9]+)$"},
            "schedule": {"type": "string",
                         "pattern": r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|"
                                    r"((.+)\s(.+)\s(.+)\s(.+)\s(.+))$"},
            "duration": {"type": "string",
                         "pattern": r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$"},
            "reasons": {"type": "array", "maxItems": 50,
                        "items": {"type": "string", "enum": ["Underutilized", "Empty", "Drifted"]}},
        },
        "x-kubernetes-validations": [
            cel("has(self.schedule) == has(self.duration)", "'schedule' must be set with 'duration'"),
        ],
    }
    labels = string_map("Labels every node of the pool carries.", maxProperties=100)
    labels["additionalProperties"] = {"type": "string", "maxLength": 63,
                                      "pattern": LABEL_VALUE_PATTERN}
    labels["x-kubernetes-validations"] = [
        cel("self.all(x, x in ['karpenter.sh/capacity-type', 'karpenter.sh/nodepool'] || "
            "!x.find(\"^([^/]+)\").endsWith(\"karpenter.sh\"))",
            'label domain "karpenter.sh" is restricted'),
        cel("self.all(x, x != \"karpenter.sh/nodepool\")", 'label "karpenter.sh/nodepool" is restricted'),
        cel("self.all(x, x != \"kubernetes.io/hostname\")",
            'label "kubernetes.io/hostname" is restricted'),
        cel("self.all(x, x in %s || !x.find(\"^([^/]+)\").endsWith(\"karpenter.k8s.aws\"))"
            % quoted_list(AWS_WELL_KNOWN_LABELS),
            'label domain "karpenter.k8s.aws" is restricted'),
    ]
    ref = node_class_ref()
    ref["x-kubernetes-validations"] = [
        cel("self.group == oldSelf.group", "nodeClassRef.group is immutable"),
        cel("self.kind == oldSelf.kind", "nodeClassRef.kind is immutable"),
    ]
    spec = {
        "type": "object",
        "description": "What nodes the pool launches and how they are disrupted.",
        "required": ["template"],
        "properties": {
            "template": {
                "type": "object",
                "description": "The NodeClaim template every node of the pool is created from.",
                "required": ["spec"],
                "properties": {
                    "metadata": {
                        "type": "object",
                        "properties": {
                            "labels": labels,
                            "annotations": string_map("Annotations every node of the pool carries."),
                        },
                    },
                    "spec": {
                        "type": "object",
                        "required": ["nodeClassRef", "requirements"],
                        "properties": {
                            "taints": taints("Taints every node of the pool carries."),
                            "startupTaints": taints("Taints a node starts with and that a daemon "
                                                    "removes once the node is prepared."),
                            "requirements": requirements(allow_nodepool_label=False),
                            "nodeClassRef": ref,
                            "expireAfter": expire_after(),
                            "terminationGracePeriod": termination_grace_period(),
                        },
                    },
                },
            },
            "disruption": {
                "type": "object",
                "description": "How and when nodes of the pool are consolidated or replaced.",
                "default": {"consolidateAfter": "0s"},
                "properties": {
                    "consolidateAfter": {"type": "string", "default": "0s",
                                         "pattern": DURATION_OR_NEVER_PATTERN},
                    "consolidationPolicy": {
                        "type": "string",
                        "default": "WhenEmptyOrUnderutilized",
                        "enum": ["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"],
                    },
                    "budgets": {"type": "array", "maxItems": 50, "default": [{"nodes": "10%"}],
                                "items": budget},
                },
            },
            "limits": resource_list("Caps on the summed capacity of the pool's nodes "
                                    "(cpu, memory, extended resources, nodes)."),
            "weight": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 100,
                       "description": "Higher-weight pools are tried first; unset is 0."},
            "replicas": {"type": "integer", "format": "int64", "minimum": 0,
                         "description": "A static pool's node count (alpha)."},
        },
        "x-kubernetes-validations": [
            cel("has(self.replicas) == has(oldSelf.replicas)",
                "Cannot transition NodePool between static (replicas set) and dynamic (replicas "
                "unset) provisioning modes"),
            cel("!has(self.replicas) || (!has(self.limits) || "
                "self.limits.all(k, k == 'nodes'))",
                "only 'limits.nodes' is supported on static NodePools"),
            cel("!has(self.replicas) || !has(self.weight)",
                "'weight' is not supported on static NodePools"),
        ],
    }
    status = {
        "type": "object",
        "properties": {
            "resources": resource_list("Summed capacity of the pool's nodes, plus 'nodes'."),
            "nodes": {"type": "integer", "format": "int64", "default": 0,
                      "description": "The number of nodes the pool owns."},
            "nodeClassObservedGeneration": {"type": "integer", "format": "int64"},
            "conditions": conditions(),
        },
    }
    columns = [
        column("NodeClass", "string", ".spec.template.spec.nodeClassRef.name"),
        column("Nodes", "string", ".status.nodes"),
        READY,
        AGE,
        column("Weight", "integer", ".spec.weight", priority=1),
        column("CPU", "string", ".status.resources.cpu", priority=1),
        column("Memory", "string", ".status.resources.memory", priority=1),
    ]
    return crd("karpenter.sh", "NodePool", "nodepools", "nodepool", None,
               top_level("NodePool is the Schema for the NodePools API.", spec, status),
               columns, scale={"specReplicasPath": ".spec.replicas",
                               "statusReplicasPath": ".status.nodes"})


# ---- NodeClaim --------------------------------------------------------------------------------

def nodeclaim():
    spec = {
        "type": "object",
        "description": "The request for one node; immutable once created.",
        "required": ["nodeClassRef", "requirements"],
        "properties": {
            "taints": taints("Taints the node is registered with."),
            "startupTaints": taints("Taints the node starts with and a daemon removes."),
            "requirements": requirements(allow_nodepool_label=True),
            "resources": {
                "type": "object",
                "properties": {"requests": resource_list("Resources the node must fit (pods plus "
                                                         "daemon overhead).")},
            },
            "nodeClassRef": node_class_ref(),
            "expireAfter": expire_after(),
            "terminationGracePeriod": termination_grace_period(),
        },
        "x-kubernetes-validations": [cel("self == oldSelf", "spec is immutable")],
    }
    status = {
        "type": "object",
        "properties": {
            "nodeName": {"type": "string"},
            "providerID": {"type": "string"},
            "imageID": {"type": "string"},
            "capacity": resource_list("The launched instance's capacity."),
            "allocatable": resource_list("The launched instance's allocatable resources."),
            "lastPodEventTime": {"type": "string", "format": "date-time"},
            "conditions": conditions(),
        },
    }
    label = ".metadata.labels.%s"
    columns = [
        column("Type", "string", label % r"node\.kubernetes\.io/instance-type"),
        column("Capacity", "string", label % r"karpenter\.sh/capacity-type"),
        column("Zone", "string", label % r"topology\.kubernetes\.io/zone"),
        column("Node", "string", ".status.nodeName"),
        READY,
        AGE,
        column("ImageID", "string", ".status.imageID", priority=1),
        column("ID", "string", ".status.providerID", priority=1),
        column("NodePool", "string", label % r"karpenter\.sh/nodepool", priority=1),
        column("NodeClass", "string", ".spec.nodeClassRef.name", priority=1),
        column("Drifted", "string", '.status.conditions[?(@.type=="Drifted")].status', priority=1),
    ]
    return crd("karpenter.sh", "NodeClaim", "nodeclaims", "nodeclaim", None,
               top_level("NodeClaim is the Schema for the NodeClaims API.", spec, status), columns)


# ---- EC2NodeClass -----------------------------------------------------------------------------

def tag_map(description):
    return string_map(description, maxProperties=20, **{
        "x-kubernetes-validations": [
            cel("self.all(k, k != '' && self[k] != '')", "empty tag keys or values aren't supported"),
        ]})


def ec2nodeclass():
    subnet_term = {
        "type": "object",
        "properties": {"tags": tag_map("Subnets carrying every tag ('*' matches any value)."),
                       "id": {"type": "string", "pattern": r"subnet-[0-9a-z]+"}},
        "x-kubernetes-validations": [
            cel("has(self.tags) || has(self.id)", "expected at least one, got none, ['tags', 'id']"),
            cel("!(has(self.id) && has(self.tags))", "'id' is mutually exclusive, cannot be set with a "
                "combination of other fields in a subnet selector term"),
        ],
    }
    sg_term = {
        "type": "object",
        "properties": {"tags": tag_map("Security groups carrying every tag."),
                       "id": {"type": "string", "pattern": r"sg-[0-9a-z]+"},
                       "name": {"type": "string"}},
        "x-kubernetes-validations": [
            cel("has(self.tags) || has(self.id) || has(self.name)",
                "expected at least one, got none, ['tags', 'id', 'name']"),
            cel("!has(self.id) || !(has(self.tags) || has(self.name))",
                "'id' is mutually exclusive, cannot be set with a combination of other fields in a "
                "security group selector term"),
            cel("!has(self.name) || !(has(self.tags) || has(self.id))",
                "'name' is mutually exclusive, cannot be set with a combination of other fields in a "
                "security group selector term"),
        ],
    }
    cr_term = {
        "type": "object",
        "properties": {
            "tags": tag_map("Capacity reservations carrying every tag."),
            "id": {"type": "string", "pattern": r"^cr-[0-9a-z]+$"},
            "ownerID": {"type": "string", "pattern": r"^[0-9]{12}$"},
            "instanceMatchCriteria": {"type": "string", "enum": ["open", "targeted"]},
        },
        "x-kubernetes-validations": [
            cel("has(self.tags) || has(self.id) || has(self.instanceMatchCriteria)",
                "expected at least one, got none, ['tags', 'id', 'instanceMatchCriteria']"),
            cel("!(has(self.id) && (has(self.tags) || has(self.ownerID)))",
                "'id' is mutually exclusive, cannot be set along with tags or ownerID in a capacity "
                "reservation selector term"),
        ],
    }
    families = ["al2", "al2023", "bottlerocket", "windows2019", "windows2022", "windows2025"]
    ami_term = {
        "type": "object",
        "properties": {
            "alias": {"type": "string", "maxLength": 30,
                      "pattern": r"^((%s)@.+)$" % "|".join(families)},
            "tags": tag_map("AMIs carrying every tag."),
            "id": {"type": "string", "pattern": r"ami-[0-9a-z]+"},
            "name": {"type": "string"},
            "owner": {"type": "string"},
            "ssmParameter": {"type": "string"},
        },
        "x-kubernetes-validations": [
            cel("has(self.tags) || has(self.id) || has(self.name) || has(self.alias) || "
                "has(self.ssmParameter)",
                "expected at least one, got none, ['tags', 'id', 'name', 'alias', 'ssmParameter']"),
            cel("!has(self.id) || !(has(self.tags) || has(self.name) || has(self.alias) || "
                "has(self.owner))",
                "'id' is mutually exclusive, cannot be set with a combination of other fields in "
                "amiSelectorTerms"),
            cel("!has(self.alias) || !(has(self.tags) || has(self.name) || has(self.id) || "
                "has(self.owner))",
                "'alias' is mutually exclusive, cannot be set with a combination of other fields in "
                "amiSelectorTerms"),
            cel("!has(self.alias) || !self.alias.startsWith('windows') || "
                "self.alias.endsWith('@latest')",
                "windows families may only specify version 'latest'"),
        ],
    }
    reserved_keys = ["cpu", "memory", "ephemeral-storage", "pid"]
    eviction_keys = ["memory.available", "nodefs.available", "nodefs.inodesFree",
                     "imagefs.available", "imagefs.inodesFree", "pid.available"]
    eviction_value = {"type": "string",
                      "pattern": r"^((\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)%|(\+|-)?(([0-9]+(\.[0-9]*)?)|"
                                 r"(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|"
                                 r"(\.[0-9]+))))?)$"}

    def keyed_map(keys, values, what):
        return {"type": "object", "additionalProperties": values,
                "x-kubernetes-validations": [
                    cel("self.all(x, x in %s)" % quoted_list(keys),
                        "valid keys for %s are %s" % (what, quoted_list(keys)))]}

    reserved_value = {"type": "string", "pattern": QUANTITY_PATTERN}
    kubelet = {
        "type": "object",
        "description": "Kubelet settings for launched nodes (the v1.14 schema).",
        "properties": {
            "clusterDNS": {"type": "array", "items": {"type": "string"}},
            "maxPods": {"type": "integer", "format": "int32", "minimum": 0},
            "podsPerCore": {"type": "integer", "format": "int32", "minimum": 0},
            "systemReserved": keyed_map(reserved_keys, reserved_value, "systemReserved"),
            "kubeReserved": keyed_map(reserved_keys, reserved_value, "kubeReserved"),
            "evictionHard": keyed_map(eviction_keys, eviction_value, "evictionHard"),
            "evictionSoft": keyed_map(eviction_keys, eviction_value, "evictionSoft"),
            "evictionSoftGracePeriod": keyed_map(eviction_keys, {"type": "string"},
                                                 "evictionSoftGracePeriod"),
            "evictionMaxPodGracePeriod": {"type": "integer", "format": "int32"},
            "imageGCHighThresholdPercent": {"type": "integer", "format": "int32",
                                            "minimum": 0, "maximum": 100},
            "imageGCLowThresholdPercent": {"type": "integer", "format": "int32",
                                           "minimum": 0, "maximum": 100},
            "cpuCFSQuota": {"type": "boolean"},
        },
        "x-kubernetes-validations": [
            cel("has(self.imageGCHighThresholdPercent) && has(self.imageGCLowThresholdPercent) ? "
                "self.imageGCHighThresholdPercent > self.imageGCLowThresholdPercent : true",
                "imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent"),
            cel("has(self.evictionSoft) ? (has(self.evictionSoftGracePeriod) && "
                "self.evictionSoft.all(e, e in self.evictionSoftGracePeriod)) : true",
                "evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod"),
            cel("has(self.evictionSoftGracePeriod) ? (has(self.evictionSoft) && "
                "self.evictionSoftGracePeriod.all(e, e in self.evictionSoft)) : true",
                "evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft"),
        ],
    }
    ebs = {
        "type": "object",
        "properties": {
            "deleteOnTermination": {"type": "boolean"},
            "encrypted": {"type": "boolean"},
            "iops": {"type": "integer", "format": "int64"},
            "kmsKeyID": {"type": "string"},
            "snapshotID": {"type": "string"},
            "throughput": {"type": "integer", "format": "int64"},
            "volumeInitializationRate": {"type": "integer", "format": "int32",
                                         "minimum": 100, "maximum": 300},
            "volumeSize": {
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "x-kubernetes-int-or-string": True,
                "pattern": r"^[1-9][0-9]*(Gi|G|Ti|T)$",
                "description": "Volume size up to 64Ti, e.g. 256Gi.",
            },
            "volumeType": {"type": "string",
                           "enum": ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"]},
        },
        "x-kubernetes-validations": [
            cel("has(self.snapshotID) || has(self.volumeSize)",
                "snapshotID or volumeSize must be defined"),
            cel("!has(self.volumeInitializationRate) || has(self.snapshotID)",
                "volumeInitializationRate requires snapshotID"),
        ],
    }
    metadata_defaults = {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                         "httpPutResponseHopLimit": 1, "httpTokens": "required"}
    aws_tag_rules = [
        cel("self.all(k, k != '')", "empty tag keys aren't supported"),
        cel("self.all(k, k != 'eks:eks-cluster-name')",
            "tag contains a restricted tag matching eks:eks-cluster-name"),
        cel("self.all(k, !k.startsWith('kubernetes.io/cluster'))",
            "tag contains a restricted tag matching kubernetes.io/cluster/"),
        cel("self.all(k, k != 'karpenter.sh/nodepool')",
            "tag contains a restricted tag matching karpenter.sh/nodepool"),
        cel("self.all(k, k != 'karpenter.sh/nodeclaim')",
            "tag contains a restricted tag matching karpenter.sh/nodeclaim"),
        cel("self.all(k, k != 'karpenter.k8s.aws/ec2nodeclass')",
            "tag contains a restricted tag matching karpenter.k8s.aws/ec2nodeclass"),
    ]
    spec = {
        "type": "object",
        "description": "How EC2 instances are launched for the NodePools that reference this class.",
        "required": ["amiSelectorTerms", "securityGroupSelectorTerms", "subnetSelectorTerms"],
        "properties": {
            "subnetSelectorTerms": {"type": "array", "minItems": 1, "maxItems": 30,
                                    "items": subnet_term},
            "securityGroupSelectorTerms": {"type": "array", "minItems": 1, "maxItems": 30,
                                           "items": sg_term},
            "capacityReservationSelectorTerms": {"type": "array", "maxItems": 30, "items": cr_term},
            "placementGroupSelector": {
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 1},
                               "id": {"type": "string", "pattern": r"^pg-[0-9a-z]+$"}},
                "x-kubernetes-validations": [
                    cel("has(self.name) != has(self.id)", "exactly one of ['name', 'id'] must be set"),
                ],
            },
            "amiSelectorTerms": {
                "type": "array", "minItems": 1, "maxItems": 30, "items": ami_term,
                "x-kubernetes-validations": [
                    cel("!self.exists(x, has(x.alias)) || self.size() == 1",
                        "'alias' is mutually exclusive, cannot be set with a combination of other "
                        "amiSelectorTerms"),
                ],
            },
            "amiFamily": {"type": "string",
                          "enum": ["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019",
                                   "Windows2022", "Windows2025"]},
            "userData": {"type": "string"},
            "role": {"type": "string", "minLength": 1,
                     "x-kubernetes-validations": [
                         cel("self == oldSelf", "immutable field changed")]},
            "instanceProfile": {"type": "string", "minLength": 1},
            "tags": string_map("Tags applied to every launched resource.",
                               **{"x-kubernetes-validations": aws_tag_rules}),
            "kubelet": kubelet,
            "blockDeviceMappings": {
                "type": "array", "maxItems": 50,
                "items": {"type": "object",
                          "properties": {"deviceName": {"type": "string"},
                                         "rootVolume": {"type": "boolean"},
                                         "ebs": ebs}},
                "x-kubernetes-validations": [
                    cel("self.filter(x, has(x.rootVolume) ? x.rootVolume : false).size() <= 1",
                        "must have only one blockDeviceMappings with rootVolume"),
                ],
            },
            "instanceStorePolicy": {"type": "string", "enum": ["RAID0"]},
            "networkInterfaces": {
                "type": "array", "maxItems": 150,
                "items": {"type": "object",
                          "required": ["networkCardIndex", "deviceIndex", "interfaceType"],
                          "properties": {
                              "networkCardIndex": {"type": "integer", "format": "int32",
                                                   "minimum": 0},
                              "deviceIndex": {"type": "integer", "format": "int32", "minimum": 0},
                              "interfaceType": {"type": "string",
                                                "enum": ["interface", "efa-only"]}}},
                "x-kubernetes-validations": [
                    cel("self.exists(x, x.networkCardIndex == 0 && x.deviceIndex == 0 && "
                        "x.interfaceType == 'interface')",
                        "networkInterfaces must include networkCardIndex 0, deviceIndex 0 of type "
                        "'interface'"),
                ],
            },
            "detailedMonitoring": {"type": "boolean"},
            "associatePublicIPAddress": {"type": "boolean"},
            "ipPrefixCount": {"type": "integer", "format": "int32", "minimum": 0},
            "metadataOptions": {
                "type": "object",
                "default": metadata_defaults,
                "properties": {
                    "httpEndpoint": {"type": "string", "default": "enabled",
                                     "enum": ["enabled", "disabled"]},
                    "httpProtocolIPv6": {"type": "string", "default": "disabled",
                                         "enum": ["enabled", "disabled"]},
                    "httpPutResponseHopLimit": {"type": "integer", "format": "int64", "default": 1,
                                                "minimum": 1, "maximum": 64},
                    "httpTokens": {"type": "string", "default": "required",
                                   "enum": ["required", "optional"]},
                },
            },
            "connectionTracking": {
                "type": "object",
                "properties": {
                    "tcpEstablishedTimeout": {"type": "integer", "format": "int32",
                                              "minimum": 60, "maximum": 432000},
                    "udpStreamTimeout": {"type": "integer", "format": "int32",
                                         "minimum": 60, "maximum": 180},
                    "udpTimeout": {"type": "integer", "format": "int32",
                                   "minimum": 30, "maximum": 60},
                },
                "x-kubernetes-validations": [
                    cel("has(self.tcpEstablishedTimeout) || has(self.udpStreamTimeout) || "
                        "has(self.udpTimeout)", "at least one connection tracking timeout must be set"),
                ],
            },
            "cpuOptions": {"type": "object",
                           "properties": {"nestedVirtualization": {
                               "type": "string", "enum": ["enabled", "disabled"]}}},
            "context": {"type": "string"},
        },
        "x-kubernetes-validations": [
            cel("has(self.role) != has(self.instanceProfile)",
                "must specify exactly one of ['role', 'instanceProfile']"),
            cel("has(oldSelf.role) == has(self.role)",
                "changing from 'instanceProfile' to 'role' is not supported. You must delete and "
                "recreate this node class if you want to change this."),
            cel("self.amiSelectorTerms.exists(x, has(x.alias)) || has(self.amiFamily)",
                "must specify amiFamily if amiSelectorTerms does not contain an alias"),
        ] + [
            cel("!self.amiSelectorTerms.exists(x, has(x.alias) && x.alias.find('^[^@]+') == '%s') || "
                "!has(self.amiFamily) || self.amiFamily in ['%s', 'Custom']" % (f, name),
                "amiFamily must be '%s' or 'Custom' when using an %s alias" % (name, name))
            for f, name in [("al2", "AL2"), ("al2023", "AL2023"), ("bottlerocket", "Bottlerocket"),
                            ("windows2019", "Windows2019"), ("windows2022", "Windows2022"),
                            ("windows2025", "Windows2025")]
        ],
    }
    status = {
        "type": "object",
        "properties": {
            "subnets": {"type": "array", "items": {
                "type": "object", "required": ["id", "zone"],
                "properties": {"id": {"type": "string"}, "zone": {"type": "string"},
                               "zoneID": {"type": "string"}}}},
            "securityGroups": {"type": "array", "items": {
                "type": "object", "required": ["id"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}},
            "capacityReservations": {"type": "array", "items": {
                "type": "object",
                "required": ["availabilityZone", "id", "instanceMatchCriteria", "instanceType",
                             "ownerID"],
                "properties": {
                    "availabilityZone": {"type": "string"},
                    "endTime": {"type": "string", "format": "date-time"},
                    "id": {"type": "string", "pattern": r"^cr-[0-9a-z]+$"},
                    "instanceMatchCriteria": {"type": "string", "enum": ["open", "targeted"]},
                    "instanceType": {"type": "string"},
                    "ownerID": {"type": "string", "pattern": r"^[0-9]{12}$"},
                    "reservationType": {"type": "string", "default": "default",
                                        "enum": ["default", "capacity-block"]},
                    "interruptible": {"type": "boolean"},
                    "state": {"type": "string", "default": "active",
                              "enum": ["active", "expiring"]},
                }}},
            "amis": {"type": "array", "items": {
                "type": "object", "required": ["id", "requirements"],
                "properties": {
                    "id": {"type": "string", "pattern": r"ami-[0-9a-z]+"},
                    "name": {"type": "string"},
                    "deprecated": {"type": "boolean"},
                    "requirements": {"type": "array", "items": {
                        "type": "object", "required": ["key", "operator"],
                        "properties": {
                            "key": {"type": "string"},
                            "operator": {"type": "string",
                                         "enum": ["In", "NotIn", "Exists", "DoesNotExist", "Gt",
                                                  "Lt", "Gte", "Lte"]},
                            "values": {"type": "array", "items": {"type": "string"},
                                       "x-kubernetes-list-type": "atomic"},
                            "minValues": {"type": "integer"},
                        }}},
                }}},
            "instanceProfile": {"type": "string"},
            "conditions": conditions(),
        },
    }
    columns = [READY, AGE, column("Role", "string", ".spec.role", priority=1)]
    return crd("karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", "ec2nodeclass",
               ["ec2nc", "ec2ncs"],
               top_level("EC2NodeClass is the Schema for the EC2NodeClass API.", spec, status),
               columns)


# ---- Output -----------------------------------------------------------------------------------

class Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Dumper.add_representer(str, _str)

HEADER = ("# Generated by deploy/crds/generate.py; edit that file and rerun it.\n"
          "# Apply with `kubectl apply --validate=false -f deploy/crds/` on API servers older than\n"
          "# 1.25 (they drop the x-kubernetes-validations CEL rules; kubectl's client-side\n"
          "# validation rejects the unknown field).\n"
          "---\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    for filename, obj in [("karpenter.sh_nodepools.yaml", nodepool()),
                          ("karpenter.sh_nodeclaims.yaml", nodeclaim()),
                          ("karpenter.k8s.aws_ec2nodeclasses.yaml", ec2nodeclass())]:
        with open(os.path.join(out, filename), "w") as f:
            f.write(HEADER)
            yaml.dump(obj, f, Dumper=Dumper, sort_keys=False, width=100, default_flow_style=False)
        print(os.path.join(out, filename))


if __name__ == "__main__":
    main()
