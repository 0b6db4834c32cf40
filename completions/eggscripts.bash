# Generated from the eggscripts CLI by `python -m eggbin.completion`; do not edit.
# Install: source it from ~/.bashrc or copy it to ~/.local/share/bash-completion/completions/

_eggscripts_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _EGGSCRIPTS_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _eggscripts_completion eggscripts
