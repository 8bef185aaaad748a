/** Reading a Kubernetes cluster's state (its nodes and pods) through its API. */

/** Where a cluster's API is, as kubectl takes it. */
export interface ClusterAccess {
  /** The k3d cluster's name. */
  cluster: string;
  /** The kubeconfig file; null: the client's default (`KUBECONFIG`, else ~/.kube/config). */
  kubeconfig: string | null;
  /** The context in the kubeconfig (k3d writes `k3d-NAME`). */
  context: string;
}

export interface KubernetesReader {
  /**
   * The NodeList and the PodList of every namespace, as parsed JSON (whatever it holds: the caller
   * checks its shape). Rejects with a message a person can act on when the API does not answer
   * within `timeoutMs`, refuses, or the client is missing.
   */
  readClusterState(access: ClusterAccess, timeoutMs: number): Promise<{ nodes: unknown; pods: unknown }>;
}
