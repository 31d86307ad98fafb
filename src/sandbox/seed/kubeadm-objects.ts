// Objects kubeadm v1.28.7 created, copied from ../shared/fixtures/k8s-v1.28.7/kubeadm/ (and nodes/create-k8s-cp-1.json)
// so the sandbox does not read ../shared at run time. managedFields, uids, resourceVersions and timestamps are
// stripped: the object store assigns its own. Regenerate by hand if the fixtures change.
/* eslint-disable */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Seed = any;
export const configmapKubeProxy: Seed = {
 "kind": "ConfigMap",
 "apiVersion": "v1",
 "metadata": {
  "name": "kube-proxy",
  "namespace": "kube-system",
  "labels": {
   "app": "kube-proxy"
  },
  "annotations": {
   "kubeadm.kubernetes.io/component-config.hash": "sha256:3eb561339eed275b5530ada8a65f992ea3b31065d01190ff58b5a633b6a51add"
  }
 },
 "data": {
  "config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nbindAddressHardFail: false\nclientConnection:\n  acceptContentTypes: \"\"\n  burst: 0\n  contentType: \"\"\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n  qps: 0\nclusterCIDR: 10.244.0.0/16\nconfigSyncPeriod: 0s\nconntrack:\n  maxPerCore: null\n  min: null\n  tcpCloseWaitTimeout: null\n  tcpEstablishedTimeout: null\ndetectLocal:\n  bridgeInterface: \"\"\n  interfaceNamePrefix: \"\"\ndetectLocalMode: \"\"\nenableProfiling: false\nhealthzBindAddress: \"\"\nhostnameOverride: \"\"\niptables:\n  localhostNodePorts: null\n  masqueradeAll: false\n  masqueradeBit: null\n  minSyncPeriod: 0s\n  syncPeriod: 0s\nipvs:\n  excludeCIDRs: null\n  minSyncPeriod: 0s\n  scheduler: \"\"\n  strictARP: false\n  syncPeriod: 0s\n  tcpFinTimeout: 0s\n  tcpTimeout: 0s\n  udpTimeout: 0s\nkind: KubeProxyConfiguration\nlogging:\n  flushFrequency: 0\n  options:\n    json:\n      infoBufferSize: \"0\"\n  verbosity: 0\nmetricsBindAddress: \"\"\nmode: \"\"\nnodePortAddresses: null\noomScoreAdj: null\nportRange: \"\"\nshowHiddenMetricsForVersion: \"\"\nwinkernel:\n  enableDSR: false\n  forwardHealthCheckVip: false\n  networkName: \"\"\n  rootHnsEndpointName: \"\"\n  sourceVip: \"\"",
  "kubeconfig.conf": "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: https://127.0.0.1:6443\n  name: default\ncontexts:\n- context:\n    cluster: default\n    namespace: default\n    user: default\n  name: default\ncurrent-context: default\nusers:\n- name: default\n  user:\n    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token"
 }
};
export const configmapCoredns: Seed = {
 "kind": "ConfigMap",
 "apiVersion": "v1",
 "metadata": {
  "name": "coredns",
  "namespace": "kube-system"
 },
 "data": {
  "Corefile": ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"
 }
};
export const daemonsetKubeProxy: Seed = {
 "kind": "DaemonSet",
 "apiVersion": "apps/v1",
 "metadata": {
  "name": "kube-proxy",
  "namespace": "kube-system",
  "labels": {
   "k8s-app": "kube-proxy"
  },
  "annotations": {
   "deprecated.daemonset.template.generation": "1"
  }
 },
 "spec": {
  "selector": {
   "matchLabels": {
    "k8s-app": "kube-proxy"
   }
  },
  "template": {
   "metadata": {
    "creationTimestamp": null,
    "labels": {
     "k8s-app": "kube-proxy"
    }
   },
   "spec": {
    "volumes": [
     {
      "name": "kube-proxy",
      "configMap": {
       "name": "kube-proxy",
       "defaultMode": 420
      }
     },
     {
      "name": "xtables-lock",
      "hostPath": {
       "path": "/run/xtables.lock",
       "type": "FileOrCreate"
      }
     },
     {
      "name": "lib-modules",
      "hostPath": {
       "path": "/lib/modules",
       "type": ""
      }
     }
    ],
    "containers": [
     {
      "name": "kube-proxy",
      "image": "registry.k8s.io/kube-proxy:v1.28.7",
      "command": [
       "/usr/local/bin/kube-proxy",
       "--config=/var/lib/kube-proxy/config.conf",
       "--hostname-override=$(NODE_NAME)"
      ],
      "env": [
       {
        "name": "NODE_NAME",
        "valueFrom": {
         "fieldRef": {
          "apiVersion": "v1",
          "fieldPath": "spec.nodeName"
         }
        }
       }
      ],
      "resources": {},
      "volumeMounts": [
       {
        "name": "kube-proxy",
        "mountPath": "/var/lib/kube-proxy"
       },
       {
        "name": "xtables-lock",
        "mountPath": "/run/xtables.lock"
       },
       {
        "name": "lib-modules",
        "readOnly": true,
        "mountPath": "/lib/modules"
       }
      ],
      "terminationMessagePath": "/dev/termination-log",
      "terminationMessagePolicy": "File",
      "imagePullPolicy": "IfNotPresent",
      "securityContext": {
       "privileged": true
      }
     }
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "nodeSelector": {
     "kubernetes.io/os": "linux"
    },
    "serviceAccountName": "kube-proxy",
    "serviceAccount": "kube-proxy",
    "hostNetwork": true,
    "securityContext": {},
    "schedulerName": "default-scheduler",
    "tolerations": [
     {
      "operator": "Exists"
     }
    ],
    "priorityClassName": "system-node-critical"
   }
  },
  "updateStrategy": {
   "type": "RollingUpdate",
   "rollingUpdate": {
    "maxUnavailable": 1,
    "maxSurge": 0
   }
  },
  "revisionHistoryLimit": 10
 }
};
export const serviceaccountKubeProxy: Seed = {
 "kind": "ServiceAccount",
 "apiVersion": "v1",
 "metadata": {
  "name": "kube-proxy",
  "namespace": "kube-system"
 }
};
export const serviceaccountCoredns: Seed = {
 "kind": "ServiceAccount",
 "apiVersion": "v1",
 "metadata": {
  "name": "coredns",
  "namespace": "kube-system"
 }
};
export const deploymentCoredns: Seed = {
 "kind": "Deployment",
 "apiVersion": "apps/v1",
 "metadata": {
  "name": "coredns",
  "namespace": "kube-system",
  "labels": {
   "k8s-app": "kube-dns"
  },
  "annotations": {
   "deployment.kubernetes.io/revision": "1"
  }
 },
 "spec": {
  "replicas": 2,
  "selector": {
   "matchLabels": {
    "k8s-app": "kube-dns"
   }
  },
  "template": {
   "metadata": {
    "creationTimestamp": null,
    "labels": {
     "k8s-app": "kube-dns"
    }
   },
   "spec": {
    "volumes": [
     {
      "name": "config-volume",
      "configMap": {
       "name": "coredns",
       "items": [
        {
         "key": "Corefile",
         "path": "Corefile"
        }
       ],
       "defaultMode": 420
      }
     }
    ],
    "containers": [
     {
      "name": "coredns",
      "image": "registry.k8s.io/coredns/coredns:v1.10.1",
      "args": [
       "-conf",
       "/etc/coredns/Corefile"
      ],
      "ports": [
       {
        "name": "dns",
        "containerPort": 53,
        "protocol": "UDP"
       },
       {
        "name": "dns-tcp",
        "containerPort": 53,
        "protocol": "TCP"
       },
       {
        "name": "metrics",
        "containerPort": 9153,
        "protocol": "TCP"
       }
      ],
      "resources": {
       "limits": {
        "memory": "170Mi"
       },
       "requests": {
        "cpu": "100m",
        "memory": "70Mi"
       }
      },
      "volumeMounts": [
       {
        "name": "config-volume",
        "readOnly": true,
        "mountPath": "/etc/coredns"
       }
      ],
      "livenessProbe": {
       "httpGet": {
        "path": "/health",
        "port": 8080,
        "scheme": "HTTP"
       },
       "initialDelaySeconds": 60,
       "timeoutSeconds": 5,
       "periodSeconds": 10,
       "successThreshold": 1,
       "failureThreshold": 5
      },
      "readinessProbe": {
       "httpGet": {
        "path": "/ready",
        "port": 8181,
        "scheme": "HTTP"
       },
       "timeoutSeconds": 1,
       "periodSeconds": 10,
       "successThreshold": 1,
       "failureThreshold": 3
      },
      "terminationMessagePath": "/dev/termination-log",
      "terminationMessagePolicy": "File",
      "imagePullPolicy": "IfNotPresent",
      "securityContext": {
       "capabilities": {
        "add": [
         "NET_BIND_SERVICE"
        ],
        "drop": [
         "all"
        ]
       },
       "readOnlyRootFilesystem": true,
       "allowPrivilegeEscalation": false
      }
     }
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "Default",
    "nodeSelector": {
     "kubernetes.io/os": "linux"
    },
    "serviceAccountName": "coredns",
    "serviceAccount": "coredns",
    "securityContext": {},
    "affinity": {
     "podAntiAffinity": {
      "preferredDuringSchedulingIgnoredDuringExecution": [
       {
        "weight": 100,
        "podAffinityTerm": {
         "labelSelector": {
          "matchExpressions": [
           {
            "key": "k8s-app",
            "operator": "In",
            "values": [
             "kube-dns"
            ]
           }
          ]
         },
         "topologyKey": "kubernetes.io/hostname"
        }
       }
      ]
     }
    },
    "schedulerName": "default-scheduler",
    "tolerations": [
     {
      "key": "CriticalAddonsOnly",
      "operator": "Exists"
     },
     {
      "key": "node-role.kubernetes.io/control-plane",
      "effect": "NoSchedule"
     }
    ],
    "priorityClassName": "system-cluster-critical"
   }
  },
  "strategy": {
   "type": "RollingUpdate",
   "rollingUpdate": {
    "maxUnavailable": 1,
    "maxSurge": "25%"
   }
  },
  "revisionHistoryLimit": 10,
  "progressDeadlineSeconds": 600
 },
 "status": {
  "observedGeneration": 1,
  "replicas": 2,
  "updatedReplicas": 2,
  "readyReplicas": 2,
  "availableReplicas": 2,
  "conditions": [
   {
    "type": "Available",
    "status": "True",
    "lastUpdateTime": "2026-11-25T06:43:24Z",
    "lastTransitionTime": "2026-11-25T06:43:24Z",
    "reason": "MinimumReplicasAvailable",
    "message": "Deployment has minimum availability."
   },
   {
    "type": "Progressing",
    "status": "True",
    "lastUpdateTime": "2026-11-25T06:43:24Z",
    "lastTransitionTime": "2026-11-25T06:43:21Z",
    "reason": "NewReplicaSetAvailable",
    "message": "ReplicaSet \"coredns-5dd5756b68\" has successfully progressed."
   }
  ]
 }
};
export const replicasetCoredns: Seed = {
 "metadata": {
  "name": "coredns-5dd5756b68",
  "namespace": "kube-system",
  "labels": {
   "k8s-app": "kube-dns",
   "pod-template-hash": "5dd5756b68"
  },
  "annotations": {
   "deployment.kubernetes.io/desired-replicas": "2",
   "deployment.kubernetes.io/max-replicas": "3",
   "deployment.kubernetes.io/revision": "1"
  },
  "ownerReferences": [
   {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "name": "coredns",
    "controller": true,
    "blockOwnerDeletion": true
   }
  ]
 },
 "spec": {
  "replicas": 2,
  "selector": {
   "matchLabels": {
    "k8s-app": "kube-dns",
    "pod-template-hash": "5dd5756b68"
   }
  },
  "template": {
   "metadata": {
    "creationTimestamp": null,
    "labels": {
     "k8s-app": "kube-dns",
     "pod-template-hash": "5dd5756b68"
    }
   },
   "spec": {
    "volumes": [
     {
      "name": "config-volume",
      "configMap": {
       "name": "coredns",
       "items": [
        {
         "key": "Corefile",
         "path": "Corefile"
        }
       ],
       "defaultMode": 420
      }
     }
    ],
    "containers": [
     {
      "name": "coredns",
      "image": "registry.k8s.io/coredns/coredns:v1.10.1",
      "args": [
       "-conf",
       "/etc/coredns/Corefile"
      ],
      "ports": [
       {
        "name": "dns",
        "containerPort": 53,
        "protocol": "UDP"
       },
       {
        "name": "dns-tcp",
        "containerPort": 53,
        "protocol": "TCP"
       },
       {
        "name": "metrics",
        "containerPort": 9153,
        "protocol": "TCP"
       }
      ],
      "resources": {
       "limits": {
        "memory": "170Mi"
       },
       "requests": {
        "cpu": "100m",
        "memory": "70Mi"
       }
      },
      "volumeMounts": [
       {
        "name": "config-volume",
        "readOnly": true,
        "mountPath": "/etc/coredns"
       }
      ],
      "livenessProbe": {
       "httpGet": {
        "path": "/health",
        "port": 8080,
        "scheme": "HTTP"
       },
       "initialDelaySeconds": 60,
       "timeoutSeconds": 5,
       "periodSeconds": 10,
       "successThreshold": 1,
       "failureThreshold": 5
      },
      "readinessProbe": {
       "httpGet": {
        "path": "/ready",
        "port": 8181,
        "scheme": "HTTP"
       },
       "timeoutSeconds": 1,
       "periodSeconds": 10,
       "successThreshold": 1,
       "failureThreshold": 3
      },
      "terminationMessagePath": "/dev/termination-log",
      "terminationMessagePolicy": "File",
      "imagePullPolicy": "IfNotPresent",
      "securityContext": {
       "capabilities": {
        "add": [
         "NET_BIND_SERVICE"
        ],
        "drop": [
         "all"
        ]
       },
       "readOnlyRootFilesystem": true,
       "allowPrivilegeEscalation": false
      }
     }
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "Default",
    "nodeSelector": {
     "kubernetes.io/os": "linux"
    },
    "serviceAccountName": "coredns",
    "serviceAccount": "coredns",
    "securityContext": {},
    "affinity": {
     "podAntiAffinity": {
      "preferredDuringSchedulingIgnoredDuringExecution": [
       {
        "weight": 100,
        "podAffinityTerm": {
         "labelSelector": {
          "matchExpressions": [
           {
            "key": "k8s-app",
            "operator": "In",
            "values": [
             "kube-dns"
            ]
           }
          ]
         },
         "topologyKey": "kubernetes.io/hostname"
        }
       }
      ]
     }
    },
    "schedulerName": "default-scheduler",
    "tolerations": [
     {
      "key": "CriticalAddonsOnly",
      "operator": "Exists"
     },
     {
      "key": "node-role.kubernetes.io/control-plane",
      "effect": "NoSchedule"
     }
    ],
    "priorityClassName": "system-cluster-critical"
   }
  }
 },
 "status": {
  "replicas": 2,
  "fullyLabeledReplicas": 2,
  "readyReplicas": 2,
  "availableReplicas": 2,
  "observedGeneration": 1
 },
 "apiVersion": "apps/v1",
 "kind": "ReplicaSet"
};
export const serviceKubeDns: Seed = {
 "kind": "Service",
 "apiVersion": "v1",
 "metadata": {
  "name": "kube-dns",
  "namespace": "kube-system",
  "labels": {
   "k8s-app": "kube-dns",
   "kubernetes.io/cluster-service": "true",
   "kubernetes.io/name": "CoreDNS"
  },
  "annotations": {
   "prometheus.io/port": "9153",
   "prometheus.io/scrape": "true"
  }
 },
 "spec": {
  "ports": [
   {
    "name": "dns",
    "protocol": "UDP",
    "port": 53,
    "targetPort": 53
   },
   {
    "name": "dns-tcp",
    "protocol": "TCP",
    "port": 53,
    "targetPort": 53
   },
   {
    "name": "metrics",
    "protocol": "TCP",
    "port": 9153,
    "targetPort": 9153
   }
  ],
  "selector": {
   "k8s-app": "kube-dns"
  },
  "clusterIP": "10.96.0.10",
  "clusterIPs": [
   "10.96.0.10"
  ],
  "type": "ClusterIP",
  "sessionAffinity": "None",
  "ipFamilies": [
   "IPv4"
  ],
  "ipFamilyPolicy": "SingleStack",
  "internalTrafficPolicy": "Cluster"
 },
 "status": {
  "loadBalancer": {}
 }
};
export const endpointsKubeDns: Seed = {
 "kind": "Endpoints",
 "apiVersion": "v1",
 "metadata": {
  "name": "kube-dns",
  "namespace": "kube-system",
  "labels": {
   "k8s-app": "kube-dns",
   "kubernetes.io/cluster-service": "true",
   "kubernetes.io/name": "CoreDNS"
  },
  "annotations": {
   "endpoints.kubernetes.io/last-change-trigger-time": "2026-11-25T06:43:24Z"
  }
 },
 "subsets": [
  {
   "addresses": [
    {
     "ip": "10.244.0.93",
     "nodeName": "k8s-worker-1",
     "targetRef": {
      "kind": "Pod",
      "namespace": "kube-system",
      "name": "coredns-5dd5756b68-s4nbm",
      "uid": "ef737fc8-8a42-44f7-9a5f-658cc79204d4"
     }
    },
    {
     "ip": "10.244.1.210",
     "nodeName": "k8s-worker-2",
     "targetRef": {
      "kind": "Pod",
      "namespace": "kube-system",
      "name": "coredns-5dd5756b68-2bnhn",
      "uid": "8a435a0a-8bb6-4f91-bfa7-a1c65da0cd9f"
     }
    }
   ],
   "ports": [
    {
     "name": "dns-tcp",
     "port": 53,
     "protocol": "TCP"
    },
    {
     "name": "dns",
     "port": 53,
     "protocol": "UDP"
    },
    {
     "name": "metrics",
     "port": 9153,
     "protocol": "TCP"
    }
   ]
  }
 ]
};
export const endpointsliceKubeDns: Seed = {
 "metadata": {
  "name": "kube-dns-64p5h",
  "generateName": "kube-dns-",
  "namespace": "kube-system",
  "labels": {
   "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
   "k8s-app": "kube-dns",
   "kubernetes.io/cluster-service": "true",
   "kubernetes.io/name": "CoreDNS",
   "kubernetes.io/service-name": "kube-dns"
  },
  "annotations": {
   "endpoints.kubernetes.io/last-change-trigger-time": "2026-11-25T06:43:24Z"
  },
  "ownerReferences": [
   {
    "apiVersion": "v1",
    "kind": "Service",
    "name": "kube-dns",
    "controller": true,
    "blockOwnerDeletion": true
   }
  ]
 },
 "addressType": "IPv4",
 "endpoints": [
  {
   "addresses": [
    "10.244.0.93"
   ],
   "conditions": {
    "ready": true,
    "serving": true,
    "terminating": false
   },
   "targetRef": {
    "kind": "Pod",
    "namespace": "kube-system",
    "name": "coredns-5dd5756b68-s4nbm",
    "uid": "ef737fc8-8a42-44f7-9a5f-658cc79204d4"
   },
   "nodeName": "k8s-worker-1"
  },
  {
   "addresses": [
    "10.244.1.210"
   ],
   "conditions": {
    "ready": true,
    "serving": true,
    "terminating": false
   },
   "targetRef": {
    "kind": "Pod",
    "namespace": "kube-system",
    "name": "coredns-5dd5756b68-2bnhn",
    "uid": "8a435a0a-8bb6-4f91-bfa7-a1c65da0cd9f"
   },
   "nodeName": "k8s-worker-2"
  }
 ],
 "ports": [
  {
   "name": "metrics",
   "protocol": "TCP",
   "port": 9153
  },
  {
   "name": "dns",
   "protocol": "UDP",
   "port": 53
  },
  {
   "name": "dns-tcp",
   "protocol": "TCP",
   "port": 53
  }
 ],
 "apiVersion": "discovery.k8s.io/v1",
 "kind": "EndpointSlice"
};
export const corednsPods: Seed = [
 {
  "metadata": {
   "name": "coredns-5dd5756b68-2bnhn",
   "generateName": "coredns-5dd5756b68-",
   "namespace": "kube-system",
   "labels": {
    "k8s-app": "kube-dns",
    "pod-template-hash": "5dd5756b68"
   },
   "ownerReferences": [
    {
     "apiVersion": "apps/v1",
     "kind": "ReplicaSet",
     "name": "coredns-5dd5756b68",
     "controller": true,
     "blockOwnerDeletion": true
    }
   ]
  },
  "spec": {
   "volumes": [
    {
     "name": "config-volume",
     "configMap": {
      "name": "coredns",
      "items": [
       {
        "key": "Corefile",
        "path": "Corefile"
       }
      ],
      "defaultMode": 420
     }
    },
    {
     "name": "kube-api-access-677rf",
     "projected": {
      "sources": [
       {
        "serviceAccountToken": {
         "expirationSeconds": 3607,
         "path": "token"
        }
       },
       {
        "configMap": {
         "name": "kube-root-ca.crt",
         "items": [
          {
           "key": "ca.crt",
           "path": "ca.crt"
          }
         ]
        }
       },
       {
        "downwardAPI": {
         "items": [
          {
           "path": "namespace",
           "fieldRef": {
            "apiVersion": "v1",
            "fieldPath": "metadata.namespace"
           }
          }
         ]
        }
       }
      ],
      "defaultMode": 420
     }
    }
   ],
   "containers": [
    {
     "name": "coredns",
     "image": "registry.k8s.io/coredns/coredns:v1.10.1",
     "args": [
      "-conf",
      "/etc/coredns/Corefile"
     ],
     "ports": [
      {
       "name": "dns",
       "containerPort": 53,
       "protocol": "UDP"
      },
      {
       "name": "dns-tcp",
       "containerPort": 53,
       "protocol": "TCP"
      },
      {
       "name": "metrics",
       "containerPort": 9153,
       "protocol": "TCP"
      }
     ],
     "resources": {
      "limits": {
       "memory": "170Mi"
      },
      "requests": {
       "cpu": "100m",
       "memory": "70Mi"
      }
     },
     "volumeMounts": [
      {
       "name": "config-volume",
       "readOnly": true,
       "mountPath": "/etc/coredns"
      },
      {
       "name": "kube-api-access-677rf",
       "readOnly": true,
       "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"
      }
     ],
     "livenessProbe": {
      "httpGet": {
       "path": "/health",
       "port": 8080,
       "scheme": "HTTP"
      },
      "initialDelaySeconds": 60,
      "timeoutSeconds": 5,
      "periodSeconds": 10,
      "successThreshold": 1,
      "failureThreshold": 5
     },
     "readinessProbe": {
      "httpGet": {
       "path": "/ready",
       "port": 8181,
       "scheme": "HTTP"
      },
      "timeoutSeconds": 1,
      "periodSeconds": 10,
      "successThreshold": 1,
      "failureThreshold": 3
     },
     "terminationMessagePath": "/dev/termination-log",
     "terminationMessagePolicy": "File",
     "imagePullPolicy": "IfNotPresent",
     "securityContext": {
      "capabilities": {
       "add": [
        "NET_BIND_SERVICE"
       ],
       "drop": [
        "all"
       ]
      },
      "readOnlyRootFilesystem": true,
      "allowPrivilegeEscalation": false
     }
    }
   ],
   "restartPolicy": "Always",
   "terminationGracePeriodSeconds": 30,
   "dnsPolicy": "Default",
   "nodeSelector": {
    "kubernetes.io/os": "linux"
   },
   "serviceAccountName": "coredns",
   "serviceAccount": "coredns",
   "nodeName": "k8s-worker-2",
   "securityContext": {},
   "affinity": {
    "podAntiAffinity": {
     "preferredDuringSchedulingIgnoredDuringExecution": [
      {
       "weight": 100,
       "podAffinityTerm": {
        "labelSelector": {
         "matchExpressions": [
          {
           "key": "k8s-app",
           "operator": "In",
           "values": [
            "kube-dns"
           ]
          }
         ]
        },
        "topologyKey": "kubernetes.io/hostname"
       }
      }
     ]
    }
   },
   "schedulerName": "default-scheduler",
   "tolerations": [
    {
     "key": "CriticalAddonsOnly",
     "operator": "Exists"
    },
    {
     "key": "node-role.kubernetes.io/control-plane",
     "effect": "NoSchedule"
    },
    {
     "key": "node.kubernetes.io/not-ready",
     "operator": "Exists",
     "effect": "NoExecute",
     "tolerationSeconds": 300
    },
    {
     "key": "node.kubernetes.io/unreachable",
     "operator": "Exists",
     "effect": "NoExecute",
     "tolerationSeconds": 300
    }
   ],
   "priorityClassName": "system-cluster-critical",
   "priority": 2000000000,
   "enableServiceLinks": true,
   "preemptionPolicy": "PreemptLowerPriority"
  },
  "status": {
   "phase": "Running",
   "conditions": [
    {
     "type": "Initialized",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:23Z"
    },
    {
     "type": "Ready",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:24Z"
    },
    {
     "type": "ContainersReady",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:24Z"
    },
    {
     "type": "PodScheduled",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:22Z"
    }
   ],
   "hostIP": "127.0.0.1",
   "podIP": "10.244.1.210",
   "podIPs": [
    {
     "ip": "10.244.1.210"
    }
   ],
   "startTime": "2026-11-25T06:43:23Z",
   "containerStatuses": [
    {
     "name": "coredns",
     "state": {
      "running": {
       "startedAt": "2026-11-25T06:43:24Z"
      }
     },
     "lastState": {},
     "ready": true,
     "restartCount": 0,
     "image": "registry.k8s.io/coredns/coredns:v1.10.1",
     "imageID": "registry.k8s.io/coredns/coredns@sha256:3bcccbe47ddf68afabe3acc9d5ebae9acf34575bb1acad0ca1a157925cd43943",
     "containerID": "containerd://791293c9eccc71e6a7ffbf3382205e08c1578b1b0589267d3bbd68d90f0b4e30",
     "started": true
    }
   ],
   "qosClass": "Burstable"
  },
  "apiVersion": "v1",
  "kind": "Pod"
 },
 {
  "metadata": {
   "name": "coredns-5dd5756b68-s4nbm",
   "generateName": "coredns-5dd5756b68-",
   "namespace": "kube-system",
   "labels": {
    "k8s-app": "kube-dns",
    "pod-template-hash": "5dd5756b68"
   },
   "ownerReferences": [
    {
     "apiVersion": "apps/v1",
     "kind": "ReplicaSet",
     "name": "coredns-5dd5756b68",
     "controller": true,
     "blockOwnerDeletion": true
    }
   ]
  },
  "spec": {
   "volumes": [
    {
     "name": "config-volume",
     "configMap": {
      "name": "coredns",
      "items": [
       {
        "key": "Corefile",
        "path": "Corefile"
       }
      ],
      "defaultMode": 420
     }
    },
    {
     "name": "kube-api-access-qtfj5",
     "projected": {
      "sources": [
       {
        "serviceAccountToken": {
         "expirationSeconds": 3607,
         "path": "token"
        }
       },
       {
        "configMap": {
         "name": "kube-root-ca.crt",
         "items": [
          {
           "key": "ca.crt",
           "path": "ca.crt"
          }
         ]
        }
       },
       {
        "downwardAPI": {
         "items": [
          {
           "path": "namespace",
           "fieldRef": {
            "apiVersion": "v1",
            "fieldPath": "metadata.namespace"
           }
          }
         ]
        }
       }
      ],
      "defaultMode": 420
     }
    }
   ],
   "containers": [
    {
     "name": "coredns",
     "image": "registry.k8s.io/coredns/coredns:v1.10.1",
     "args": [
      "-conf",
      "/etc/coredns/Corefile"
     ],
     "ports": [
      {
       "name": "dns",
       "containerPort": 53,
       "protocol": "UDP"
      },
      {
       "name": "dns-tcp",
       "containerPort": 53,
       "protocol": "TCP"
      },
      {
       "name": "metrics",
       "containerPort": 9153,
       "protocol": "TCP"
      }
     ],
     "resources": {
      "limits": {
       "memory": "170Mi"
      },
      "requests": {
       "cpu": "100m",
       "memory": "70Mi"
      }
     },
     "volumeMounts": [
      {
       "name": "config-volume",
       "readOnly": true,
       "mountPath": "/etc/coredns"
      },
      {
       "name": "kube-api-access-qtfj5",
       "readOnly": true,
       "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"
      }
     ],
     "livenessProbe": {
      "httpGet": {
       "path": "/health",
       "port": 8080,
       "scheme": "HTTP"
      },
      "initialDelaySeconds": 60,
      "timeoutSeconds": 5,
      "periodSeconds": 10,
      "successThreshold": 1,
      "failureThreshold": 5
     },
     "readinessProbe": {
      "httpGet": {
       "path": "/ready",
       "port": 8181,
       "scheme": "HTTP"
      },
      "timeoutSeconds": 1,
      "periodSeconds": 10,
      "successThreshold": 1,
      "failureThreshold": 3
     },
     "terminationMessagePath": "/dev/termination-log",
     "terminationMessagePolicy": "File",
     "imagePullPolicy": "IfNotPresent",
     "securityContext": {
      "capabilities": {
       "add": [
        "NET_BIND_SERVICE"
       ],
       "drop": [
        "all"
       ]
      },
      "readOnlyRootFilesystem": true,
      "allowPrivilegeEscalation": false
     }
    }
   ],
   "restartPolicy": "Always",
   "terminationGracePeriodSeconds": 30,
   "dnsPolicy": "Default",
   "nodeSelector": {
    "kubernetes.io/os": "linux"
   },
   "serviceAccountName": "coredns",
   "serviceAccount": "coredns",
   "nodeName": "k8s-worker-1",
   "securityContext": {},
   "affinity": {
    "podAntiAffinity": {
     "preferredDuringSchedulingIgnoredDuringExecution": [
      {
       "weight": 100,
       "podAffinityTerm": {
        "labelSelector": {
         "matchExpressions": [
          {
           "key": "k8s-app",
           "operator": "In",
           "values": [
            "kube-dns"
           ]
          }
         ]
        },
        "topologyKey": "kubernetes.io/hostname"
       }
      }
     ]
    }
   },
   "schedulerName": "default-scheduler",
   "tolerations": [
    {
     "key": "CriticalAddonsOnly",
     "operator": "Exists"
    },
    {
     "key": "node-role.kubernetes.io/control-plane",
     "effect": "NoSchedule"
    },
    {
     "key": "node.kubernetes.io/not-ready",
     "operator": "Exists",
     "effect": "NoExecute",
     "tolerationSeconds": 300
    },
    {
     "key": "node.kubernetes.io/unreachable",
     "operator": "Exists",
     "effect": "NoExecute",
     "tolerationSeconds": 300
    }
   ],
   "priorityClassName": "system-cluster-critical",
   "priority": 2000000000,
   "enableServiceLinks": true,
   "preemptionPolicy": "PreemptLowerPriority"
  },
  "status": {
   "phase": "Running",
   "conditions": [
    {
     "type": "Initialized",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:23Z"
    },
    {
     "type": "Ready",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:24Z"
    },
    {
     "type": "ContainersReady",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:24Z"
    },
    {
     "type": "PodScheduled",
     "status": "True",
     "lastProbeTime": null,
     "lastTransitionTime": "2026-11-25T06:43:22Z"
    }
   ],
   "hostIP": "127.0.0.1",
   "podIP": "10.244.0.93",
   "podIPs": [
    {
     "ip": "10.244.0.93"
    }
   ],
   "startTime": "2026-11-25T06:43:23Z",
   "containerStatuses": [
    {
     "name": "coredns",
     "state": {
      "running": {
       "startedAt": "2026-11-25T06:43:24Z"
      }
     },
     "lastState": {},
     "ready": true,
     "restartCount": 0,
     "image": "registry.k8s.io/coredns/coredns:v1.10.1",
     "imageID": "registry.k8s.io/coredns/coredns@sha256:3bcccbe47ddf68afabe3acc9d5ebae9acf34575bb1acad0ca1a157925cd43943",
     "containerID": "containerd://2e87cbf660cf7e007092843d24f782c359a989e0996e24f7d369978977cc4140",
     "started": true
    }
   ],
   "qosClass": "Burstable"
  },
  "apiVersion": "v1",
  "kind": "Pod"
 }
];
export const nodeTemplate: Seed = {
 "apiVersion": "v1",
 "kind": "Node",
 "metadata": {
  "name": "k8s-cp-1",
  "labels": {
   "beta.kubernetes.io/arch": "amd64",
   "beta.kubernetes.io/os": "linux",
   "kubernetes.io/arch": "amd64",
   "kubernetes.io/hostname": "k8s-cp-1",
   "kubernetes.io/os": "linux",
   "node-role.kubernetes.io/control-plane": "",
   "node.kubernetes.io/exclude-from-external-load-balancers": ""
  },
  "annotations": {
   "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
   "volumes.kubernetes.io/controller-managed-attach-detach": "true"
  }
 },
 "spec": {
  "taints": [
   {
    "key": "node-role.kubernetes.io/control-plane",
    "effect": "NoSchedule"
   }
  ]
 },
 "status": {
  "addresses": [
   {
    "type": "InternalIP",
    "address": "127.0.0.1"
   },
   {
    "type": "Hostname",
    "address": "k8s-cp-1"
   }
  ],
  "daemonEndpoints": {
   "kubeletEndpoint": {
    "Port": 10250
   }
  },
  "capacity": {
   "cpu": "4",
   "ephemeral-storage": "61202244Ki",
   "hugepages-1Gi": "0",
   "hugepages-2Mi": "0",
   "memory": "8137536Ki",
   "pods": "110"
  },
  "allocatable": {
   "cpu": "4",
   "ephemeral-storage": "56403987978",
   "hugepages-1Gi": "0",
   "hugepages-2Mi": "0",
   "memory": "8035136Ki",
   "pods": "110"
  },
  "conditions": [
   {
    "type": "MemoryPressure",
    "status": "False",
    "lastHeartbeatTime": "2026-11-25T06:43:14Z",
    "lastTransitionTime": "2026-11-25T06:43:14Z",
    "reason": "KubeletHasSufficientMemory",
    "message": "kubelet has sufficient memory available"
   },
   {
    "type": "DiskPressure",
    "status": "False",
    "lastHeartbeatTime": "2026-11-25T06:43:14Z",
    "lastTransitionTime": "2026-11-25T06:43:14Z",
    "reason": "KubeletHasNoDiskPressure",
    "message": "kubelet has no disk pressure"
   },
   {
    "type": "PIDPressure",
    "status": "False",
    "lastHeartbeatTime": "2026-11-25T06:43:14Z",
    "lastTransitionTime": "2026-11-25T06:43:14Z",
    "reason": "KubeletHasSufficientPID",
    "message": "kubelet has sufficient PID available"
   },
   {
    "type": "Ready",
    "status": "True",
    "lastHeartbeatTime": "2026-11-25T06:43:14Z",
    "lastTransitionTime": "2026-11-25T06:43:14Z",
    "reason": "KubeletReady",
    "message": "kubelet is posting ready status"
   }
  ],
  "nodeInfo": {
   "machineID": "be85fb7356d00e17548e3f453dc5106b",
   "systemUUID": "b1bb6cd8-926e-b82a-ff8f-8b618b5066c1",
   "bootID": "be85fb73-56d0-0e17-548e-3f453dc5106b",
   "kernelVersion": "6.1.0-27-amd64",
   "osImage": "Debian GNU/Linux 12 (bookworm)",
   "containerRuntimeVersion": "containerd://1.7.22",
   "kubeletVersion": "v1.28.7",
   "kubeProxyVersion": "v1.28.7",
   "operatingSystem": "linux",
   "architecture": "amd64"
  }
 }
};
