// The API group and version meshql serves (SMI Traffic Metrics). One
// definition, because the SMI routes and the SubjectAccessReviews must name
// the same group: RBAC rules granted on one would otherwise not match the other.

export const SMI_GROUP = "metrics.smi-spec.io";
export const SMI_VERSION = "v1alpha1";
