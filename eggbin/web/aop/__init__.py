"""AOP (tegg's advice, pointcut, crosscut): declaring advice and running it around methods."""
