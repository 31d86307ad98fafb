// Version arithmetic for the pre-flight rules: kernels ("4.18.0-513.el8.x86_64") and kube-proxy ("v1.28.7").

export interface MajorMinor { major: number; minor: number }

/** "5.15.0-91-generic" → {5, 15}; undefined when the string does not start with two numbers. */
export function parseKernel(kernel: string): MajorMinor | undefined {
  const m = /^\s*(\d+)\.(\d+)/.exec(kernel);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** "v1.28.7", "1.35.0+k3s1", "registry.k8s.io/kube-proxy:v1.29.2@sha256:…" → {1, 28} */
export function parseKubeVersion(text: string): MajorMinor | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.\d+)?/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Tag of an image reference, ignoring the registry port and any digest. */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0] ?? '';
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon >= 0 ? noDigest.slice(colon + 1) : undefined;
}

export function below(v: MajorMinor, major: number, minor: number): boolean {
  return v.major < major || (v.major === major && v.minor < minor);
}

export function format(v: MajorMinor): string {
  return `${v.major}.${v.minor}`;
}
