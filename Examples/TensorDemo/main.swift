import TensorCore

// Placeholder replaced below.
