// Benchmarks: `swift run -c release smsagent-bench [codec|...]`. Each prints its figures and the command.
print("no benchmarks yet")
