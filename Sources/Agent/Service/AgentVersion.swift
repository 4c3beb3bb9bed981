/// The one version of smsagent: `smsagent --version` prints it, the agent logs it at start, and
/// `packaging/build-deb.sh` names the Debian package after it (it asks the built binary).
/// Semantic versioning (https://semver.org).
public enum AgentVersion {
    public static let current = "0.13.0"
}
