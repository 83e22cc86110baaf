// Placeholder entry point; benchmarks are added per issue.
return 0;
