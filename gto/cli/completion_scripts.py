"""The scripts `gto completion bash|zsh|fish` prints.

Each is a thin shim: on TAB it runs `gto __complete SHELL ...` (gto.cli.complete) and
shows the words it answers, or lets the shell complete paths when told `files` or
`dirs`. Nothing about commands or the registry is baked in, so the script never goes
stale when gto or the registry changes.
"""

from __future__ import annotations

SHELLS = ("bash", "zsh", "fish")

_BASH = r"""# bash completion for gto. Load it with:  source <(gto completion bash)
_gto_complete() {
    local IFS=$'\n'
    local word=${COMP_WORDS[COMP_CWORD]}
    local -a reply
    reply=($(gto __complete bash "${COMP_LINE:0:COMP_POINT}" "$word" 2>/dev/null)) || return 0
    case ${reply[0]} in
        files) COMPREPLY=($(compgen -f -- "$word")); compopt -o filenames 2>/dev/null ;;
        dirs) COMPREPLY=($(compgen -d -- "$word")); compopt -o filenames 2>/dev/null ;;
        *) COMPREPLY=("${reply[@]:1}") ;;
    esac
}
complete -F _gto_complete gto
"""

_ZSH = r"""#compdef gto
# zsh completion for gto. Load it with:  source <(gto completion zsh)  (after compinit),
# or save it as _gto in a folder of $fpath.
_gto() {
    local -a reply
    reply=("${(@f)$(gto __complete zsh "${(@Q)words[1,CURRENT-1]}" "${(Q)PREFIX}" 2>/dev/null)}")
    case $reply[1] in
        files) _files ;;
        dirs) _files -/ ;;
        *) (( $#reply > 1 )) && compadd -- "${(@)reply[2,-1]}" ;;
    esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _gto "$@"
else
    compdef _gto gto
fi
"""

_FISH = r"""# fish completion for gto. Load it with:  gto completion fish | source
# or save it as ~/.config/fish/completions/gto.fish
function __gto_complete
    set -l word (commandline -ct)
    set -l reply (gto __complete fish (commandline -opc) "$word" 2>/dev/null)
    or return
    switch "$reply[1]"
        case files
            __fish_complete_path "$word"
        case dirs
            __fish_complete_directories "$word"
        case '*'
            set -e reply[1]
            printf '%s\n' $reply
    end
end
complete -c gto -f -a '(__gto_complete)'
"""

_SCRIPTS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}


def completion_script(shell: str) -> str:
    """The script for `shell` (one of SHELLS), without its final newline."""
    return _SCRIPTS[shell].removesuffix("\n")
