// `import Parallel` brings the communicators too: they live in the lower `Communication` module
// (which Quantum uses without chunked arrays), re-exported here so that existing code keeps compiling.
@_exported import Communication
