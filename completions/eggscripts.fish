# Generated from the eggscripts CLI by `python -m eggbin.completion`; do not edit.
# Install: copy this file to ~/.config/fish/completions/eggscripts.fish

complete --command eggscripts --no-files --arguments "(env _EGGSCRIPTS_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) eggscripts)" --condition "env _EGGSCRIPTS_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args _TYPER_COMPLETE_ARGS=(commandline -cp) eggscripts"
