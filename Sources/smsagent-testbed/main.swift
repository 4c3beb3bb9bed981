import CUmockdev
// Test support for DiscoveryTests: owns a umockdev testbed and runs one named scenario.
print("no scenarios yet")
