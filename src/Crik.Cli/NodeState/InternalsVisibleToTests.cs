using System.Runtime.CompilerServices;

// The client is tested end to end against the real node-state-server in that project.
[assembly: InternalsVisibleTo("Crik.NodeStateServer.Tests")]
