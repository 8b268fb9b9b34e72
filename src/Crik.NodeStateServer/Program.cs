// Filled in by the node-state server issue.
return 0;
