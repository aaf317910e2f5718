from django.urls import path

from pmloop.requirements import export_views, views

app_name = "requirements"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.my_work, name="mine"),
    path("product/<int:product_id>/", views.requirement_list, name="list"),
    path("product/<int:product_id>/new/", views.requirement_create, name="create"),
    path("product/<int:product_id>/matrix/", views.matrix, name="matrix"),
    path("product/<int:product_id>/settings/", views.settings_page, name="settings"),
    path("product/<int:product_id>/completeness/", views.completeness_preview, name="completeness"),
    path("product/<int:product_id>/lookup/", views.lookup, name="lookup"),
    path("from-pool/<int:item_id>/", views.create_from_pool, name="create_from_pool"),
    # /requirements/<id>/ is also the address notifications point at (services._common.url_of).
    path("<int:requirement_id>/", views.requirement_detail, name="detail"),
    path("<int:requirement_id>/edit/", views.requirement_edit, name="edit"),
    path("<int:requirement_id>/submit/", views.submit_for_review, name="submit"),
    path("<int:requirement_id>/withdraw-review/", views.withdraw_review, name="withdraw_review"),
    path("<int:requirement_id>/verdict/", views.give_verdict, name="verdict"),
    path("<int:requirement_id>/change/", views.change_request, name="change"),
    path("<int:requirement_id>/change/submit/", views.submit_change, name="submit_change"),
    path("<int:requirement_id>/change/withdraw/", views.withdraw_change, name="withdraw_change"),
    path("<int:requirement_id>/confirm-change/", views.confirm_change, name="confirm_change"),
    path("<int:requirement_id>/stage/", views.set_stage, name="stage"),
    path("<int:requirement_id>/close/", views.close, name="close"),
    path("<int:requirement_id>/reopen/", views.reopen, name="reopen"),
    path("<int:requirement_id>/criteria/<int:criterion_id>/verify/", views.verify_criterion, name="verify"),
    path("<int:requirement_id>/links/add/", views.link_add, name="link_add"),
    path("<int:requirement_id>/links/<int:link_id>/remove/", views.link_remove, name="link_remove"),
    path("<int:requirement_id>/pool/search/", views.pool_search, name="pool_search"),
    path("<int:requirement_id>/pool/link/", views.pool_link, name="pool_link"),
    path("<int:requirement_id>/pool/<int:item_id>/unlink/", views.pool_unlink, name="pool_unlink"),
    path("<int:requirement_id>/attachments/add/", views.attachment_add, name="attachment_add"),
    path(
        "<int:requirement_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<int:requirement_id>/attachments/<int:attachment_id>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("<int:requirement_id>/diff/", views.version_diff, name="diff"),
]

# The file downloads (requirements:export_md, export_docx, export_xlsx, matrix_xlsx).
urlpatterns += export_views.urlpatterns
