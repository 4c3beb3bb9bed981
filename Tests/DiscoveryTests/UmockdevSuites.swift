import Testing

/// Every test that runs a umockdev testbed, one at a time (one testbed per process at a time, and
/// each scenario's timings are easier to read without another one competing for the CPU).
@Suite("umockdev", .serialized)
enum UmockdevSuites {}
