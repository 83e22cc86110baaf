// Placeholder entry point; the fake llama-server is built in its own change.
return 0;
