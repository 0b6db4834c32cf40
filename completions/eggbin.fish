# Generated from the eggbin CLI by `python -m eggbin.completion`; do not edit.
# Install: copy this file to ~/.config/fish/completions/eggbin.fish

complete --command eggbin --no-files --arguments "(env _EGGBIN_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) eggbin)" --condition "env _EGGBIN_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args _TYPER_COMPLETE_ARGS=(commandline -cp) eggbin"
