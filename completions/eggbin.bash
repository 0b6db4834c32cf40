# Generated from the eggbin CLI by `python -m eggbin.completion`; do not edit.
# Install: source it from ~/.bashrc or copy it to ~/.local/share/bash-completion/completions/

_eggbin_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _EGGBIN_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _eggbin_completion eggbin
