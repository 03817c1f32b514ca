-- :Autonomous {subcommand} [args]. Everything else loads on first use; call
-- require('autonomous').setup({...}) to configure (see :help autonomous).
if vim.g.loaded_autonomous then
  return
end
vim.g.loaded_autonomous = true

vim.api.nvim_create_user_command('Autonomous', function(opts)
  require('autonomous').command(opts.fargs)
end, {
  nargs = '*',
  desc = 'Autonomous coding workflows: new, list, start, pause, resume, stop, delete, validate, spec, import, log, model, doctor, status',
  complete = function(arglead, cmdline)
    return require('autonomous').complete(arglead, cmdline)
  end,
})
