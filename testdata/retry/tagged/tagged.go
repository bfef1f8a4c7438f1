// Package tagged has its leaking tests behind the integration build tag:
// without -tags integration they do not exist.
package tagged
