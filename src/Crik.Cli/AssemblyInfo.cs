// crik drives Linux namespaces, CRIU and /proc: it runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
